// File: tools/larch/cmd_history.cc
// `larch history [-n N] [--json]`: the update history from the trust state
// database (pulls, delta and bundle applies, deploys), newest first, with
// refused and failed attempts and why.
#include <cstdio>

#include "tools/larch/command.h"

namespace larch::cli {

namespace {

nlohmann::json ToJson(const trust::HistoryEntry& e) {
  auto id = [](const std::optional<repo::ObjectId>& c) { return c ? nlohmann::json(c->Hex()) : nlohmann::json(nullptr); };
  return {{"id", e.id},           {"time", e.time},         {"date", FormatTime(e.time)},
          {"user", e.user},       {"action", e.action},     {"remote", e.remote},
          {"ref", e.ref},         {"from", id(e.from_commit)}, {"to", id(e.to_commit)},
          {"from_version", e.from_version}, {"to_version", e.to_version}, {"outcome", e.outcome},
          {"detail", e.detail},   {"downgrade_allowed", e.downgrade_allowed}};
}

}  // namespace

Command RegisterHistory(CLI::App& parent, const GlobalOptions& global) {
  auto limit = std::make_shared<size_t>(20);
  auto json = std::make_shared<bool>(false);
  CLI::App* app = parent.add_subcommand("history", "Show the update history (newest first)");
  AddCountOption(app, "-n,--limit", *limit, kMaxCount, "How many entries (default 20)");
  app->add_flag("--json", *json, "Machine-readable output");
  return {app, [=, &global]() -> Status {
            LARCH_ASSIGN_OR_RETURN(auto store, OpenStore(global));
            LARCH_ASSIGN_OR_RETURN(auto state, OpenTrustState(*store));
            LARCH_ASSIGN_OR_RETURN(auto entries, state->History(*limit));
            if (*json) {
              nlohmann::json out = nlohmann::json::array();
              for (const auto& e : entries) out.push_back(ToJson(e));
              PrintJson(out);
              return Status::Ok();
            }
            for (const auto& e : entries) {
              std::printf("%s %-8s %-12s %s:%s %s -> %s%s%s\n", FormatTime(e.time).c_str(), e.outcome.c_str(),
                          e.action.c_str(), e.remote.c_str(), e.ref.c_str(),
                          e.from_version.empty() ? "-" : e.from_version.c_str(),
                          e.to_version.empty() ? "-" : e.to_version.c_str(),
                          e.downgrade_allowed ? " (downgrade allowed)" : "",
                          e.detail.empty() ? "" : ("\n    " + e.detail).c_str());
            }
            return Status::Ok();
          }};
}

}  // namespace larch::cli
