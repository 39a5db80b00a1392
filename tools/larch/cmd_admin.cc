// File: tools/larch/cmd_admin.cc
// `larch admin VERB`: the device side (deploy/): lay out a sysroot, deploy
// and upgrade, roll back, remove, pin, inspect, and confirm a good boot.
// Every verb takes --sysroot (default /) so nothing but the named sysroot
// is touched.
#include <cstdio>

#include "deploy/sysroot_repair.h"
#include "repo/verity_seal.h"
#include "src/bootstate/boot_state.h"
#include "tools/larch/admin_cli.h"
#include "tools/larch/command.h"
#include "tools/larch/exit_codes.h"
#include "tools/larch/progress.h"

namespace larch::cli {

namespace {

struct Args {
  AdminArgs admin;
  std::string path, os, revision, bundle;
  size_t index = 0, limit = 20;
  uint64_t max_rate = 0;  // upgrade: bytes per second
  std::optional<uint32_t> tries;
  bool allow_downgrade = false;
  bool check = false, download_only = false, reboot = false;  // upgrade
  bool ignore_rollout = false, now = false;                   // upgrade
  bool repair = false;  // fsck
  std::string remote;   // fsck --repair
  int* exit_code = nullptr;  // of a success (upgrade --check: 77 without an update)
};

using Action = std::function<Status(const Args&)>;

// One `admin` verb: its own arguments, --sysroot/--cmdline, and what it does.
CLI::App* Verb(CLI::App* admin, const std::string& name, const std::string& help, const std::shared_ptr<Args>& a,
               std::vector<std::pair<CLI::App*, Action>>& verbs, Action action) {
  CLI::App* app = admin->add_subcommand(name, help);
  if (name != "init-fs") AddAdminOptions(app, a->admin);
  verbs.emplace_back(app, [a, action](const Args&) { return action(*a); });
  return app;
}

void AddTries(CLI::App* app, Args& a) {
  AddCountOption(app, "--tries", a.tries, boot::kMaxTries,
                 "Boots the new default gets before falling back (default larch.conf boot-tries)")
      ->check(CLI::Range(1u, boot::kMaxTries));
}

void AddJson(CLI::App* app, Args& a) { app->add_flag("--json", a.admin.json, "Machine-readable output"); }

// deploy and upgrade: -q; with --json the progress is JSON lines on stderr
// (stdout keeps the one result object).
void AddQuiet(CLI::App* app, Args& a) {
  app->add_flag("-q,--quiet", a.admin.quiet, "No progress on stderr (errors still print)");
}

ProgressReporter::Style ProgressStyle(const AdminArgs& a) { return ProgressReporter::Choose({a.quiet, a.json}); }

Status RunDeploy(const Args& a) {
  LARCH_ASSIGN_OR_RETURN(auto sysroot, OpenSysroot(a.admin));
  LARCH_ASSIGN_OR_RETURN(auto booted, BootedDeployment(*sysroot, a.admin));
  ProgressReporter progress(ProgressStyle(a.admin));
  deploy::DeployOptions o{a.os, a.revision, a.allow_downgrade, a.tries, booted, "deploy", progress.Fn()};
  LARCH_ASSIGN_OR_RETURN(deploy::DeployResult r, deploy::Deploy(*sysroot, o));
  progress.Finish();
  PrintDeployResult(r, a.admin.json);
  return Status::Ok();
}

Status RunUpgrade(const Args& a) {
  LARCH_ASSIGN_OR_RETURN(auto sysroot, OpenSysroot(a.admin));
  LARCH_ASSIGN_OR_RETURN(auto booted, BootedDeployment(*sysroot, a.admin));
  const deploy::UpgradeMode mode = a.check           ? deploy::UpgradeMode::kCheck
                                   : a.download_only ? deploy::UpgradeMode::kDownloadOnly
                                                     : deploy::UpgradeMode::kDeploy;
  ProgressReporter progress(ProgressStyle(a.admin));
  deploy::UpgradeOptions o;
  o.os = a.os;
  o.bundle = a.bundle;
  o.allow_downgrade = a.allow_downgrade;
  o.tries = a.tries;
  o.booted = booted;
  o.mode = mode;
  o.max_rate = a.max_rate;
  o.progress = progress.Fn();
  o.ignore_rollout = a.ignore_rollout;
  o.now = a.now;
  LARCH_ASSIGN_OR_RETURN(deploy::UpgradeResult r, deploy::Upgrade(*sysroot, o));
  progress.Finish();
  PrintUpgradeResult(r, a.admin.json);
  // rpm-ostree's convention, so scripts can tell "nothing new" from a failure.
  if (a.check && (r.up_to_date || r.failed_before || !r.withheld.empty())) *a.exit_code = kExitNoUpdate;
  if (!a.reboot || !r.deployed) return Status::Ok();
  LARCH_RETURN_IF_ERROR(deploy::PreRebootHooks(*sysroot, r));
  if (!a.admin.json) std::printf("Rebooting: %s\n", deploy::RebootCommand().c_str());
  return deploy::Reboot();
}

void AddUpgradeModes(CLI::App* v, Args& a) {
  CLI::Option* check = v->add_flag(
      "--check", a.check, "Say whether an update is available and how many bytes it would download; change nothing "
                          "(exit 0: available, 77: none)");
  CLI::Option* download = v->add_flag("--download-only", a.download_only,
                                      "Pull the update but do not deploy it (a later upgrade deploys it)");
  CLI::Option* reboot = v->add_flag(
      "--reboot", a.reboot, "Reboot after deploying an update ($LARCH_REBOOT_COMMAND, else systemctl reboot or reboot)");
  check->excludes(download)->excludes(reboot)->excludes(v->get_option("--bundle"));
  v->add_flag("--ignore-rollout", a.ignore_rollout,
              "Install a release whose staged rollout has not reached this device, or is halted");
  v->add_flag("--now", a.now, "Deploy (and reboot) now, outside the update window of larch.conf");
  download->excludes(reboot);
}

Status RunStatus(const Args& a) {
  LARCH_ASSIGN_OR_RETURN(auto sysroot, OpenSysroot(a.admin));
  LARCH_ASSIGN_OR_RETURN(auto booted, BootedDeployment(*sysroot, a.admin));
  LARCH_ASSIGN_OR_RETURN(deploy::SysrootStatus s, deploy::GatherStatus(*sysroot, booted));
  PrintStatus(*sysroot, s, a.admin.json);
  return Status::Ok();
}

Status RunHistory(const Args& a) {
  LARCH_ASSIGN_OR_RETURN(auto sysroot, OpenSysroot(a.admin));
  LARCH_ASSIGN_OR_RETURN(auto state, sysroot->OpenState());
  LARCH_ASSIGN_OR_RETURN(auto events, deploy::ReadDeployHistory(state->database(), a.limit));
  LARCH_ASSIGN_OR_RETURN(auto boots, deploy::ReadBootOutcomes(state->database(), a.limit));
  LARCH_ASSIGN_OR_RETURN(auto hooks, deploy::ReadHookRuns(state->database(), a.limit));
  PrintHistory(events, boots, hooks, a.admin.json);
  return Status::Ok();
}

// rollback, set-default, undeploy: a new list in the boot configuration.
Status RunChange(const Args& a, const char* verb) {
  LARCH_ASSIGN_OR_RETURN(auto sysroot, OpenSysroot(a.admin));
  LARCH_ASSIGN_OR_RETURN(auto booted, BootedDeployment(*sysroot, a.admin));
  std::string v = verb;
  Result<deploy::ChangeResult> r = v == "rollback"    ? deploy::Rollback(*sysroot, booted, a.tries)
                                   : v == "undeploy" ? deploy::Undeploy(*sysroot, a.index, booted)
                                                     : deploy::SetDefault(*sysroot, a.index, booted, a.tries);
  if (!r.ok()) return r.status();
  PrintChange(verb, *r, a.admin.json);
  return Status::Ok();
}

Status RunPin(const Args& a, bool pinned) {
  LARCH_ASSIGN_OR_RETURN(auto sysroot, OpenSysroot(a.admin));
  LARCH_ASSIGN_OR_RETURN(boot::DeploymentId id, deploy::SetPinned(*sysroot, a.index, pinned));
  std::printf("%s %s\n", pinned ? "Pinned" : "Unpinned", boot::DeploymentPath(id).c_str());
  return Status::Ok();
}

Status RunCleanup(const Args& a) {
  LARCH_ASSIGN_OR_RETURN(auto sysroot, OpenSysroot(a.admin));
  LARCH_ASSIGN_OR_RETURN(auto booted, BootedDeployment(*sysroot, a.admin));
  LARCH_ASSIGN_OR_RETURN(deploy::CleanupResult r, deploy::Cleanup(*sysroot, booted));
  std::printf("Removed %zu deployments, %llu boot directories, %llu objects (%s)\n", r.removed.size(),
              static_cast<unsigned long long>(r.boot_dirs_removed),
              static_cast<unsigned long long>(r.objects_deleted), FormatBytes(r.bytes_freed).c_str());
  return Status::Ok();
}

Status RunBootOk(const Args& a) {
  LARCH_ASSIGN_OR_RETURN(auto sysroot, OpenSysroot(a.admin));
  LARCH_ASSIGN_OR_RETURN(auto booted, BootedDeployment(*sysroot, a.admin));
  LARCH_ASSIGN_OR_RETURN(deploy::BootOkResult r, deploy::BootOk(*sysroot, booted));
  if (!r.hook_warning.empty()) std::fprintf(stderr, "larch admin: warning: %s\n", r.hook_warning.c_str());
  if (r.fell_back) {
    std::printf("Running the fallback %s: the default failed to boot (%s)\n", boot::DeploymentPath(r.booted).c_str(),
                r.reason.c_str());
  } else {
    std::printf("Marked %s good%s\n", boot::DeploymentPath(r.booted).c_str(), r.is_default ? "" : " (not the default)");
  }
  return Status::Ok();
}

using Verbs = std::vector<std::pair<CLI::App*, Action>>;

// What init-fs found about fs-verity on the new sysroot's filesystem, and
// how to turn it on where it is off (docs/verity.md).
Status ReportVerity(const std::string& path) {
  LARCH_ASSIGN_OR_RETURN(auto store, repo::Store::Open(*fs::DefaultFs(), path + "/ostree/repo"));
  LARCH_ASSIGN_OR_RETURN(bool can_seal, repo::StoreCanSeal(*store));
  std::string_view mode = repo::VerityModeName(store->verity_mode());
  if (can_seal) {
    std::printf("fs-verity: this filesystem can seal files; objects are sealed as they arrive (verity=%s)\n",
                mode.data());
  } else {
    std::printf("fs-verity: this filesystem cannot seal files, so objects stay unsealed (verity=%s).\n"
                "  To turn it on: a kernel with CONFIG_FS_VERITY, and for ext4 `tune2fs -O verity DEVICE`\n"
                "  on the unmounted filesystem (f2fs: `mkfs.f2fs -O verity`; btrfs needs nothing more)\n",
                mode.data());
  }
  return Status::Ok();
}

// init-fs, os-init, deploy, upgrade: what puts deployments on a device.
void AddInstallVerbs(CLI::App* admin, const std::shared_ptr<Args>& a, Verbs& verbs) {
  CLI::App* v = Verb(admin, "init-fs", "Lay out an empty sysroot at PATH", a, verbs, [](const Args& x) {
    LARCH_RETURN_IF_ERROR(deploy::Sysroot::InitFs(*fs::DefaultFs(), x.path));
    std::printf("Initialized sysroot %s\n", x.path.c_str());
    return ReportVerity(x.path);
  });
  v->add_option("PATH", a->path, "An existing directory")->required()->transform(AsAbsolutePath());
  v = Verb(admin, "os-init", "Add an OS (its deploy/ and shared var/)", a, verbs, [](const Args& x) {
    LARCH_ASSIGN_OR_RETURN(auto sysroot, OpenSysroot(x.admin));
    return sysroot->OsInit(x.os);
  });
  v->add_option("OS", a->os, "OS name")->required();
  v = Verb(admin, "deploy", "Deploy a commit as the default for the next boot", a, verbs, RunDeploy);
  v->add_option("REVISION", a->revision, "REMOTE:REF, a local ref, or a commit id")->required();
  v->add_option("--os", a->os, "OS to deploy for (default: the only one)");
  v->add_flag("--allow-downgrade", a->allow_downgrade, "Accept an older version than the one installed");
  AddTries(v, *a);
  AddJson(v, *a);
  AddQuiet(v, *a);
  v = Verb(admin, "upgrade", "Pull (or apply --bundle) what the deployment follows, and deploy it", a, verbs, RunUpgrade);
  v->add_option("--bundle", a->bundle, "Offline bundle file instead of pulling")->transform(AsAbsolutePath());
  AddUpgradeModes(v, *a);
  v->add_option("--os", a->os, "OS to upgrade (default: the only one)");
  AddSizeOption(v, "--max-rate", a->max_rate, "Limit the download to SIZE bytes per second (500k, 1M; 0: no limit)");
  v->add_flag("--allow-downgrade", a->allow_downgrade, "Accept an older version than the one installed");
  AddTries(v, *a);
  AddJson(v, *a);
  AddQuiet(v, *a);
}

// admin fsck [--repair]: the store's check; with --repair, damaged file
// objects the deployments use fetched again and relinked (docs/verity.md).
Status RunFsck(const Args& a) {
  LARCH_ASSIGN_OR_RETURN(auto sysroot, OpenSysroot(a.admin));
  deploy::SysrootFsckOptions options;
  options.repair = a.repair;
  options.remote = a.remote;
  LARCH_ASSIGN_OR_RETURN(deploy::SysrootFsckResult r, deploy::FsckSysroot(*sysroot, options));
  const repo::FsckReport& last = r.final_report();
  if (a.admin.json) {
    nlohmann::json j = {{"problems", r.before.problems}, {"ok", last.ok()}, {"repaired", r.repaired}};
    if (r.repaired) {
      std::vector<std::string> replaced;
      for (const auto& id : r.fetched.replaced) replaced.push_back(id.Hex());
      j["remote"] = r.remote;
      j["replaced"] = replaced;
      j["requests"] = r.fetched.requests;
      j["bytes_received"] = r.fetched.bytes_received;
      j["relinked"] = r.relinked;
      j["unrepairable"] = r.unrepairable;
      j["problems_after"] = r.after.problems;
    }
    PrintJson(j);
  } else {
    for (const std::string& p : r.before.problems) std::printf("problem: %s\n", p.c_str());
    if (r.repaired) {
      std::printf("Repaired %zu object(s) from remote %s (%llu requests, %llu bytes)\n", r.fetched.replaced.size(),
                  r.remote.empty() ? "-" : r.remote.c_str(), static_cast<unsigned long long>(r.fetched.requests),
                  static_cast<unsigned long long>(r.fetched.bytes_received));
      for (const std::string& p : r.relinked) std::printf("relinked: %s\n", p.c_str());
      for (const std::string& p : r.unrepairable) std::printf("not repaired: %s\n", p.c_str());
      for (const std::string& p : r.after.problems) std::printf("problem after the repair: %s\n", p.c_str());
    }
    std::printf("Checked %llu objects: %s\n", static_cast<unsigned long long>(last.objects),
                last.ok() ? "ok" : (std::to_string(last.problems.size()) + " problem(s)").c_str());
  }
  if (!last.ok())
    return Status::Corruption("store " + sysroot->store().path() + " has " + std::to_string(last.problems.size()) +
                              " problem(s)" + (a.repair ? "" : " (larch admin fsck --repair fetches damaged files again)"));
  return Status::Ok();
}

// status, history, rollback, set-default, undeploy, pin, unpin, cleanup,
// boot-ok: what inspects and manages them.
void AddManageVerbs(CLI::App* admin, const std::shared_ptr<Args>& a, Verbs& verbs) {
  AddJson(Verb(admin, "status", "Deployments, their roles, and the boot state", a, verbs, RunStatus), *a);
  CLI::App* v = Verb(admin, "history", "What admin verbs did, and how boots ended (newest first)", a, verbs, RunHistory);
  AddCountOption(v, "-n,--limit", a->limit, kMaxCount, "How many entries of each (default 20)");
  AddJson(v, *a);
  v = Verb(admin, "rollback", "Make the previous deployment the default", a, verbs, [](const Args& x) { return RunChange(x, "rollback"); });
  AddTries(v, *a);
  AddJson(v, *a);
  v = Verb(admin, "set-default", "Make deployment INDEX the default", a, verbs, [](const Args& x) { return RunChange(x, "set-default"); });
  AddCountOption(v, "INDEX", a->index, kMaxCount, "Index in larch admin status")->required();
  AddTries(v, *a);
  AddJson(v, *a);
  v = Verb(admin, "undeploy", "Remove deployment INDEX", a, verbs, [](const Args& x) { return RunChange(x, "undeploy"); });
  AddCountOption(v, "INDEX", a->index, kMaxCount, "Index in larch admin status")->required();
  AddJson(v, *a);
  v = Verb(admin, "pin", "Keep deployment INDEX until unpinned", a, verbs, [](const Args& x) { return RunPin(x, true); });
  AddCountOption(v, "INDEX", a->index, kMaxCount, "Index in larch admin status")->required();
  v = Verb(admin, "unpin", "Let deployment INDEX go again", a, verbs, [](const Args& x) { return RunPin(x, false); });
  AddCountOption(v, "INDEX", a->index, kMaxCount, "Index in larch admin status")->required();
  Verb(admin, "cleanup", "Remove deployments, boot files and objects nothing needs", a, verbs, RunCleanup);
  Verb(admin, "boot-ok", "Mark the booted deployment good (after a health check)", a, verbs, RunBootOk);
  v = Verb(admin, "fsck", "Check the store; --repair fetches damaged files again and relinks the deployments", a,
           verbs, RunFsck);
  v->add_flag("--repair", a->repair, "Fetch damaged file objects again from the remote and relink the deployments using them");
  v->add_option("--remote", a->remote, "Remote to fetch from (default: the default deployment's origin)");
  AddJson(v, *a);
}

}  // namespace

Command RegisterAdmin(CLI::App& parent, const GlobalOptions&) {
  CLI::App* admin = parent.add_subcommand("admin", "Deployments on a device: deploy, upgrade, rollback, status, ...");
  admin->require_subcommand(1);
  auto verbs = std::make_shared<Verbs>();
  auto args = std::make_shared<Args>();  // one verb runs: they can share it
  auto exit_code = std::make_shared<int>(kExitOk);
  args->exit_code = exit_code.get();
  AddInstallVerbs(admin, args, *verbs);
  AddManageVerbs(admin, args, *verbs);
  return {admin, [verbs]() -> Status {
            for (const auto& [app, action] : *verbs)
              if (app->parsed()) return action(Args{});
            return Status::InvalidArgument("no admin verb given");
          },
          [exit_code] { return *exit_code; }};
}

}  // namespace larch::cli
