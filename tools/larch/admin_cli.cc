// File: tools/larch/admin_cli.cc
// Options, sysroot access and result output of the `larch admin` verbs
// (status and history have their own file, admin_status.cc).
#include "tools/larch/admin_cli.h"

#include <climits>
#include <cstdio>
#include <cstdlib>

#include "deploy/booted.h"
#include "tools/larch/command.h"

namespace larch::cli {

namespace {

std::string Names(const std::vector<boot::DeploymentId>& ids) {
  std::string out;
  for (const boot::DeploymentId& d : ids) out += (out.empty() ? "" : ", ") + boot::DeploymentName(d);
  return out;
}

nlohmann::json PathList(const std::vector<boot::DeploymentId>& ids) {
  nlohmann::json out = nlohmann::json::array();
  for (const boot::DeploymentId& d : ids) out.push_back(boot::DeploymentPath(d));
  return out;
}

void Warn(const std::string& cleanup_error) {
  if (!cleanup_error.empty())
    std::fprintf(stderr, "larch admin: warning: removing old deployments failed (larch admin cleanup retries): %s\n",
                 cleanup_error.c_str());
}

}  // namespace

void AddAdminOptions(CLI::App* app, AdminArgs& args) {
  app->add_option("--sysroot", args.sysroot,
                  "Root of the sysroot (default /, or /sysroot when run inside a booted deployment)")
      ->transform(AsAbsolutePath());
  app->add_option("--cmdline", args.cmdline,
                  "File holding the kernel command line (default $LARCH_CMDLINE, else /proc/cmdline)")
      ->transform(AsAbsolutePath());
}

Result<std::unique_ptr<deploy::Sysroot>> OpenSysroot(const AdminArgs& args) {
  if (!args.sysroot.empty()) return deploy::Sysroot::Open(*fs::DefaultFs(), args.sysroot);
  // On a running device "/" is a deployment and the physical root is
  // mounted at /sysroot (initramfs/README.md); an image or a device whose
  // deployment links /ostree back into it opens as "/".
  Result<std::unique_ptr<deploy::Sysroot>> root = deploy::Sysroot::Open(*fs::DefaultFs(), "/");
  if (root.ok() || root.status().code() != StatusCode::kInvalidArgument) return root;
  Result<std::unique_ptr<deploy::Sysroot>> physical = deploy::Sysroot::Open(*fs::DefaultFs(), "/sysroot");
  return physical.ok() ? std::move(physical) : std::move(root);
}

Result<std::optional<boot::DeploymentId>> BootedDeployment(const deploy::Sysroot& sysroot, const AdminArgs& args) {
  // --cmdline and $LARCH_CMDLINE say what counts as booted (tests, image
  // builders). Otherwise "/" itself says which deployment of this sysroot
  // runs, whether it is addressed as / or /sysroot (deploy/booted.h).
  if (!args.cmdline.empty() || std::getenv(deploy::kCmdlineEnv) != nullptr)
    return deploy::ReadBootedDeployment(sysroot.fs(), args.cmdline);
  char real[PATH_MAX];
  bool is_root = ::realpath(sysroot.path().c_str(), real) != nullptr && std::string(real) == "/";
  return deploy::FindRunningDeployment(sysroot, is_root);
}

void PrintDeployResult(const deploy::DeployResult& r, bool json) {
  Warn(r.cleanup_error);
  if (json) {
    PrintJson({{"deployment", boot::DeploymentPath(r.deployment)}, {"commit", r.deployment.commit},
               {"serial", r.deployment.serial}, {"os", r.deployment.os}, {"version", r.version},
               {"origin", r.origin.Refspec()},
               {"merged_from", r.merged_from ? nlohmann::json(boot::DeploymentPath(*r.merged_from)) : nlohmann::json(nullptr)},
               {"etc_conflicts", r.etc_conflicts}, {"removed", PathList(r.removed)}});
    return;
  }
  std::printf("Deployed %s %s (%s) as %s; it is the default for the next boot\n", r.deployment.os.c_str(),
              r.version.empty() ? "-" : r.version.c_str(), r.origin.Refspec().empty() ? "local" : r.origin.Refspec().c_str(),
              boot::DeploymentName(r.deployment).c_str());
  for (const std::string& c : r.etc_conflicts)
    std::printf("/etc conflict: /etc/%s changed here and in the update; kept yours, new default in /etc/%s.larch-new\n",
                c.c_str(), c.c_str());
  if (!r.removed.empty()) std::printf("Removed %s\n", Names(r.removed).c_str());
}

namespace {

const char* ModeName(deploy::UpgradeMode mode) {
  switch (mode) {
    case deploy::UpgradeMode::kCheck: return "check";
    case deploy::UpgradeMode::kDownloadOnly: return "download-only";
    case deploy::UpgradeMode::kDeploy: break;
  }
  return "deploy";
}

// An upgrade that deployed nothing: up to date, a check, or a download.
nlohmann::json UndeployedJson(const deploy::UpgradeResult& r) {
  auto id = [](const std::optional<repo::ObjectId>& c) { return c ? nlohmann::json(c->Hex()) : nlohmann::json(nullptr); };
  nlohmann::json j = {{"mode", ModeName(r.mode)}, {"origin", r.refspec},  {"commit", r.commit.Hex()},
                      {"current", r.current.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.current)},
                      {"up_to_date", r.up_to_date},
                      {"available", !r.up_to_date && !r.failed_before && r.withheld.empty()},
                      {"withheld", r.withheld.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.withheld)},
                      {"deferred", r.deferred.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.deferred)},
                      {"next_window", r.next_window ? nlohmann::json(FormatTime(static_cast<uint64_t>(*r.next_window)))
                                                    : nlohmann::json(nullptr)},
                      {"recall", r.recall},
                      {"failed_before", r.failed_before ? nlohmann::json({{"time", FormatTime(r.failed_before->time)},
                                                                         {"reason", r.failed_before->reason}})
                                                        : nlohmann::json(nullptr)}};
  if (r.pulled) {
    const pull::PullResult& p = *r.pulled;
    j.update({{"version", p.version}, {"downloaded", p.up_to_date}, {"method", p.method},
              {"delta_from", id(p.delta_from)}, {"download_bytes", p.download_bytes},
              {"write_bytes", p.write_bytes}, {"bytes_received", p.bytes_received}});
  }
  return j;
}

void PrintUndeployed(const deploy::UpgradeResult& r) {
  const std::string version = r.pulled && !r.pulled->version.empty() ? " (version " + r.pulled->version + ")" : "";
  if (!r.withheld.empty()) {
    std::printf("%s: %s\n", r.refspec.c_str(), r.withheld.c_str());
    return;
  }
  if (!r.deferred.empty()) {
    std::printf("Downloaded %s: %s%s, not deployed: %s\n", r.refspec.c_str(), r.commit.Hex().c_str(), version.c_str(),
                r.deferred.c_str());
    return;
  }
  if (r.up_to_date) {
    std::printf("%s is up to date (%s%s is already the default)\n", r.refspec.c_str(), r.commit.Hex().c_str(),
                version.c_str());
    return;
  }
  if (r.failed_before) {
    std::printf("Not installing %s%s from %s: it failed to boot on this device on %s (%s).\n"
                "larch admin deploy %s installs it anyway.\n",
                r.commit.Hex().c_str(), version.c_str(), r.refspec.c_str(), FormatTime(r.failed_before->time).c_str(),
                r.failed_before->reason.c_str(), r.refspec.c_str());
    return;
  }
  const bool had = r.pulled && r.pulled->up_to_date;  // in the store before this run
  if (r.mode == deploy::UpgradeMode::kCheck && r.pulled) {
    std::printf("Update available for %s: %s%s\n", r.refspec.c_str(), r.commit.Hex().c_str(), version.c_str());
    if (had) {
      std::printf("Already downloaded; larch admin upgrade deploys it without downloading\n");
    } else {
      std::printf("Would download %llu bytes (%s) as %s, writing %s\n",
                  static_cast<unsigned long long>(r.pulled->download_bytes), FormatBytes(r.pulled->download_bytes).c_str(),
                  r.pulled->method == "delta" ? "a delta" : "objects, at most", FormatBytes(r.pulled->write_bytes).c_str());
    }
    return;
  }
  std::printf("Downloaded %s: %s%s%s; larch admin upgrade deploys it\n", r.refspec.c_str(), r.commit.Hex().c_str(),
              version.c_str(), had ? " (it was already)" : "");
}

}  // namespace

void PrintUpgradeResult(const deploy::UpgradeResult& r, bool json) {
  if (!r.hook_warning.empty()) std::fprintf(stderr, "larch admin: warning: %s\n", r.hook_warning.c_str());
  if (r.deployed) {
    if (r.recall && !json && r.pulled) std::printf("Recall: %s\n", r.pulled->recall_reason.c_str());
    PrintDeployResult(*r.deployed, json);
  } else if (json) {
    PrintJson(UndeployedJson(r));
  } else {
    PrintUndeployed(r);
  }
}

void PrintChange(const char* verb, const deploy::ChangeResult& r, bool json) {
  Warn(r.cleanup_error);
  if (json) {
    PrintJson({{"before", PathList(r.before)}, {"after", PathList(r.after)}, {"removed", PathList(r.removed)}});
    return;
  }
  std::printf("%s: default for the next boot is %s %s\n", verb, r.after[0].os.c_str(),
              boot::DeploymentName(r.after[0]).c_str());
  if (!r.removed.empty()) std::printf("Removed %s\n", Names(r.removed).c_str());
}

}  // namespace larch::cli
