// File: tools/larch/admin_status.cc
// `larch admin status` and `larch admin history` output, as text or JSON.
#include <cstdio>

#include "tools/larch/admin_cli.h"
#include "tools/larch/command.h"

namespace larch::cli {

namespace {

nlohmann::json OptPath(const std::optional<boot::DeploymentId>& id) {
  return id ? nlohmann::json(boot::DeploymentPath(*id)) : nlohmann::json(nullptr);
}

nlohmann::json DeploymentJson(const deploy::DeploymentStatus& d) {
  const deploy::DeploymentInfo& i = d.info;
  return {{"index", d.index},           {"os", i.id.os},
          {"commit", i.id.commit},      {"serial", i.id.serial},
          {"path", boot::DeploymentPath(i.id)}, {"version", i.version},
          {"origin", i.origin.Refspec()}, {"remote", i.origin.remote},
          {"ref", i.origin.ref},        {"pinned", i.origin.pinned},
          {"default", d.is_default},    {"booted", d.booted},
          {"pending", d.pending},       {"rollback", d.rollback},
          {"error", d.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.error)}};
}

nlohmann::json BootJson(const boot::BootState& b) {
  bool fell_back = b.status == boot::BootStatus::kFellBack;
  std::optional<boot::DeploymentId> fallback;
  if (b.deployments.size() > 1) fallback = b.deployments[1];
  return {{"default", boot::DeploymentPath(b.deployments[0])},
          {"fallback", OptPath(fallback)},
          {"tries_left", b.tries_left},
          {"status", std::string(boot::BootStatusName(b.status))},
          {"fell_back", fell_back},
          {"fell_back_to", fell_back ? OptPath(fallback) : nlohmann::json(nullptr)},
          {"reason", b.reason}};
}

std::string Roles(const deploy::DeploymentStatus& d) {
  std::string out;
  for (auto [on, name] : {std::pair{d.booted, "booted"}, {d.pending, "pending"}, {d.rollback, "rollback"},
                          {d.info.origin.pinned, "pinned"}})
    if (on) out += std::string(out.empty() ? " (" : ", ") + name;
  return out.empty() ? out : out + ")";
}

void PrintText(const deploy::SysrootStatus& s) {
  if (s.deployments.empty()) std::printf("No deployments.\n");
  for (const deploy::DeploymentStatus& d : s.deployments) {
    const deploy::DeploymentInfo& i = d.info;
    std::printf("%c %zu %s %s%s\n", d.booted ? '*' : ' ', d.index, i.id.os.c_str(),
                i.version.empty() ? "-" : i.version.c_str(), Roles(d).c_str());
    std::printf("    deployment: %s\n    origin: %s\n", boot::DeploymentName(i.id).c_str(),
                i.origin.Refspec().empty() ? "local commit" : i.origin.Refspec().c_str());
    if (!d.error.empty()) std::printf("    error: %s\n", d.error.c_str());
  }
  if (!s.boot) return;
  const boot::BootState& b = *s.boot;
  std::printf("Boot: default %s, %s", boot::DeploymentName(b.deployments[0]).c_str(),
              std::string(boot::BootStatusName(b.status)).c_str());
  if (b.status == boot::BootStatus::kPending) std::printf(", %u tries left", b.tries_left);
  std::printf("\n");
  if (b.status == boot::BootStatus::kFellBack)
    std::printf("Last boot fell back to 1 (%s): %s\n", boot::DeploymentName(b.deployments[1]).c_str(), b.reason.c_str());
  if (s.booted && !s.booted_configured)
    std::printf("Booted %s, which is not in the boot configuration\n", boot::DeploymentPath(*s.booted).c_str());
  for (const deploy::UpdateOffer& o : s.offers) {
    std::printf("Update %s %s (version %s), %s: %s (as of %s)\n", o.refspec.c_str(), o.commit.substr(0, 12).c_str(),
                o.version.empty() ? "-" : o.version.c_str(), o.state.c_str(), o.reason.c_str(),
                FormatTime(o.time).c_str());
  }
  if (s.update_window) {
    std::printf("Update window: %s; %s\n", deploy::EncodeUpdateWindow(*s.update_window).c_str(),
                s.next_window ? ("next opens " + deploy::DescribeLocalTime(*s.next_window)).c_str() : "never opens");
  }
}

nlohmann::json OffersJson(const std::vector<deploy::UpdateOffer>& offers) {
  nlohmann::json out = nlohmann::json::array();
  for (const deploy::UpdateOffer& o : offers)
    out.push_back({{"os", o.os}, {"origin", o.refspec}, {"commit", o.commit}, {"version", o.version},
                   {"state", o.state}, {"reason", o.reason}, {"time", o.time}, {"date", FormatTime(o.time)}});
  return out;
}

nlohmann::json EventJson(const deploy::DeployEvent& e) {
  return {{"id", e.id},           {"time", e.time},     {"date", FormatTime(e.time)},
          {"user", e.user},       {"action", e.action}, {"os", e.os},
          {"from", e.from_deployment}, {"to", e.to_deployment}, {"from_version", e.from_version},
          {"to_version", e.to_version}, {"origin", e.origin}, {"outcome", e.outcome},
          {"detail", e.detail}};
}

}  // namespace

void PrintStatus(const deploy::Sysroot& sysroot, const deploy::SysrootStatus& s, bool json) {
  if (!json) return PrintText(s);
  nlohmann::json deployments = nlohmann::json::array();
  for (const deploy::DeploymentStatus& d : s.deployments) deployments.push_back(DeploymentJson(d));
  PrintJson({{"sysroot", sysroot.path()},
             {"booted", OptPath(s.booted)},
             {"booted_configured", s.booted_configured},
             {"boot", s.boot ? BootJson(*s.boot) : nlohmann::json(nullptr)},
             {"deployments", deployments},
             {"updates", OffersJson(s.offers)},
             {"update_window", s.update_window ? nlohmann::json(deploy::EncodeUpdateWindow(*s.update_window))
                                               : nlohmann::json(nullptr)},
             {"next_window", s.next_window ? nlohmann::json(deploy::DescribeLocalTime(*s.next_window))
                                           : nlohmann::json(nullptr)}});
}

void PrintHistory(const std::vector<deploy::DeployEvent>& events, const std::vector<deploy::BootOutcome>& boots,
                  const std::vector<deploy::HookRecord>& hooks, bool json) {
  if (json) {
    nlohmann::json ev = nlohmann::json::array(), bo = nlohmann::json::array(), ho = nlohmann::json::array();
    for (const deploy::DeployEvent& e : events) ev.push_back(EventJson(e));
    for (const deploy::BootOutcome& b : boots)
      bo.push_back({{"id", b.id}, {"time", b.time}, {"date", FormatTime(b.time)}, {"deployment", b.deployment},
                    {"outcome", b.outcome}, {"detail", b.detail}});
    for (const deploy::HookRecord& h : hooks)
      ho.push_back({{"id", h.id}, {"time", h.time}, {"date", FormatTime(h.time)}, {"stage", h.run.stage},
                    {"hook", h.run.hook}, {"deployment", h.deployment}, {"exit_code", h.run.exit_code},
                    {"timed_out", h.run.timed_out}, {"millis", h.run.millis}, {"output", h.run.output}});
    PrintJson({{"deployments", ev}, {"boots", bo}, {"hooks", ho}});
    return;
  }
  // "<12 hex>.<serial>": enough to tell deployments apart on one line.
  auto name = [](const std::string& d) { return d.size() < 65 ? (d.empty() ? "-" : d) : d.substr(0, 12) + d.substr(64); };
  for (const deploy::DeployEvent& e : events) {
    std::printf("%s %-8s %-11s %s %s %s -> %s %s by %s%s%s\n", FormatTime(e.time).c_str(), e.outcome.c_str(),
                e.action.c_str(), e.os.c_str(), name(e.from_deployment).c_str(),
                e.from_version.empty() ? "" : ("(" + e.from_version + ")").c_str(), name(e.to_deployment).c_str(),
                e.to_version.empty() ? "" : ("(" + e.to_version + ")").c_str(), e.user.c_str(),
                e.detail.empty() ? "" : "\n    ", e.detail.c_str());
  }
  for (const deploy::BootOutcome& b : boots)
    std::printf("%s boot %-9s %s%s%s\n", FormatTime(b.time).c_str(), b.outcome.c_str(), b.deployment.c_str(),
                b.detail.empty() ? "" : ": ", b.detail.c_str());
  for (const deploy::HookRecord& h : hooks) {
    const std::string result = h.run.timed_out ? "stopped at its time limit" : "exit " + std::to_string(h.run.exit_code);
    std::printf("%s hook %s/%s (%s, %llu ms) in %s\n", FormatTime(h.time).c_str(), h.run.stage.c_str(),
                h.run.hook.c_str(), result.c_str(), static_cast<unsigned long long>(h.run.millis),
                name(h.deployment).c_str());
    std::string out = h.run.output;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    size_t at = 0;
    while (!out.empty() && at <= out.size()) {
      const size_t nl = out.find('\n', at);
      std::printf("    | %s\n", out.substr(at, nl == std::string::npos ? std::string::npos : nl - at).c_str());
      if (nl == std::string::npos) break;
      at = nl + 1;
    }
  }
}

}  // namespace larch::cli
