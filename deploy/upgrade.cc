// File: deploy/upgrade.cc
#include "deploy/upgrade.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "deploy/boot_config.h"
#include "deploy/deployment_info.h"
#include "deploy/hook_history.h"
#include "deploy/sysroot_config.h"
#include "deploy/update_offer.h"
#include "deploy/update_window.h"
#include "repo/delta/apply.h"
#include "repo/delta/bundle.h"
#include "repo/pull/pull.h"
#include "repo/trust/remote_config.h"

namespace larch::deploy {

namespace {

// The deployment an upgrade starts from: the booted one of the OS, else
// the OS's first in the boot configuration.
Result<boot::DeploymentId> Current(const Sysroot& sysroot, const std::string& os,
                                   const std::optional<boot::DeploymentId>& booted) {
  LARCH_ASSIGN_OR_RETURN(BootConfig config, ReadBootConfig(sysroot));
  if (booted && booted->os == os) return *booted;
  if (config.state) {
    for (const boot::DeploymentId& d : config.state->deployments)
      if (d.os == os) return d;
  }
  return Status::NotFound("OS " + os + " has no deployment to upgrade; deploy REMOTE:REF first");
}

Result<repo::ObjectId> FetchBundle(const Sysroot& sysroot, const Origin& origin, trust::TrustState& state,
                                   const UpgradeOptions& options) {
  LARCH_ASSIGN_OR_RETURN(trust::RemoteConfig remote, trust::ReadRemote(sysroot.store(), origin.remote));
  LARCH_ASSIGN_OR_RETURN(trust::TrustPolicy policy, trust::LoadPolicy(remote));
  LARCH_ASSIGN_OR_RETURN(auto source, delta::BundleSource::Open(sysroot.fs(), options.bundle));
  delta::ApplyOptions apply;
  apply.envelope_kind = repo::SignedKind::kBundle;
  apply.ref = pull::LocalRefName(origin.remote, origin.ref);
  apply.verify = delta::ApplyVerification{&policy, &state, origin.ref, options.allow_downgrade};
  apply.progress = options.progress;
  LARCH_ASSIGN_OR_RETURN(delta::ApplyStats stats, delta::ApplyDelta(sysroot.store(), *source, apply));
  return stats.commit;
}

// What an upgrade fetched: the commit, and the pull's figures when it pulled.
struct Fetched {
  repo::ObjectId commit;
  std::optional<pull::PullResult> pulled;
};

Result<Fetched> Fetch(const Sysroot& sysroot, trust::TrustState& state, const Origin& origin,
                      const UpgradeOptions& options, const std::optional<trust::RolloutContext>& rollout) {
  if (!options.bundle.empty()) {
    LARCH_ASSIGN_OR_RETURN(repo::ObjectId commit, FetchBundle(sysroot, origin, state, options));
    return Fetched{commit, std::nullopt};
  }
  LARCH_ASSIGN_OR_RETURN(trust::RemoteConfig remote, trust::ReadRemote(sysroot.store(), origin.remote));
  pull::PullOptions pull;
  pull.ref = origin.ref;
  pull.allow_downgrade = options.allow_downgrade;
  // The dry run verifies what the remote offers and sizes it; the check
  // must not install anything.
  pull.dry_run = options.mode == UpgradeMode::kCheck;
  pull.fetch.max_rate = options.max_rate;
  pull.expected_commit = options.expected_commit;
  pull.rollout = rollout;
  pull.progress = options.progress;
  LARCH_ASSIGN_OR_RETURN(pull::PullResult pulled, pull::Pull(sysroot.store(), remote, state, pull));
  return Fetched{pulled.commit, pulled};
}

// The commit the OS's default deployment runs (hex), empty when it has none.
Result<std::string> DefaultCommit(const Sysroot& sysroot, const std::string& os) {
  LARCH_ASSIGN_OR_RETURN(BootConfig config, ReadBootConfig(sysroot));
  if (config.state) {
    for (const boot::DeploymentId& d : config.state->deployments)
      if (d.os == os) return d.commit;
  }
  return std::string();
}

// The version a commit in the store declares ("" when none or unreadable).
std::string CommitVersion(const Sysroot& sysroot, const repo::ObjectId& commit) {
  Result<repo::Commit> c = sysroot.store().ReadCommit(commit);
  if (!c.ok()) return "";
  auto it = c->metadata.find("version");
  return it == c->metadata.end() ? "" : it->second;
}

// The rollout context of an unattended upgrade from `from`: the device id
// (larch.conf device-id=, else /etc/machine-id; "" when there is none, so
// that a staged release waits for 100%) and the commit it runs.
trust::RolloutContext RolloutFor(const SysrootConfig& config, const boot::DeploymentId& from, bool ignore) {
  trust::RolloutContext c;
  Result<std::string> id = RolloutDeviceId(config);
  if (id.ok()) c.device_id = *id;
  if (auto commit = repo::ObjectId::FromHex(from.commit); commit.ok()) c.running = *commit;
  c.ignore_rollout = ignore;
  return c;
}

std::string EtcOf(const Sysroot& sysroot, const boot::DeploymentId& id) {
  return sysroot.path() + boot::DeploymentPath(id) + "/etc";
}

Status RecordOffer(trust::TrustState& state, const std::string& os, const UpgradeResult& r, const std::string& version,
                   std::string_view kind, const std::string& reason) {
  return PutUpdateOffer(state.database(), UpdateOffer{os, r.refspec, r.commit.Hex(), version, std::string(kind), reason, 0});
}

// The gates before a deploy and the deploy: the product's check hooks, the
// update window, the pre-deploy hooks; then the post-deploy hooks
// (docs/rollouts.md). Hooks come from the running deployment: the new one
// has not proven anything yet.
Result<UpgradeResult> GateAndDeploy(const Sysroot& sysroot, const UpgradeOptions& options, trust::TrustState& state,
                                    const SysrootConfig& config, const std::string& os, const boot::DeploymentId& from,
                                    const DeploymentInfo& info, const std::string& version, UpgradeResult r) {
  r.hooks_etc = EtcOf(sysroot, from);
  r.hook_context = HookContext{os, info.version, version, from.commit, r.commit.Hex(), sysroot.path()};
  const std::string from_name = boot::DeploymentName(from);
  LARCH_ASSIGN_OR_RETURN(std::optional<HookRun> refused,
                         RunAndRecordHooks(state.database(), r.hooks_etc, from_name, HookStage::kCheck,
                                           r.hook_context, config.hook_timeout, &r.hook_runs));
  if (refused) {
    r.deferred = "deferred by " + DescribeHookFailure(*refused);
    LARCH_RETURN_IF_ERROR(RecordOffer(state, os, r, version, "deferred", r.deferred));
    return r;
  }
  if (config.update_window && !options.now) {
    const int64_t now = UpdaterNow();
    if (!InWindow(*config.update_window, now)) {
      r.next_window = NextWindowStart(*config.update_window, now);
      r.deferred = "outside the update window (" + EncodeUpdateWindow(*config.update_window) + ")" +
                   (r.next_window ? "; next: " + DescribeLocalTime(*r.next_window) : "");
      LARCH_RETURN_IF_ERROR(RecordOffer(state, os, r, version, "deferred", r.deferred));
      return r;
    }
  }
  LARCH_ASSIGN_OR_RETURN(refused, RunAndRecordHooks(state.database(), r.hooks_etc, from_name, HookStage::kPreDeploy,
                                           r.hook_context, config.hook_timeout, &r.hook_runs));
  if (refused) {
    return Status::Cancelled("the update to " + r.commit.Hex().substr(0, 12) + " stopped: " +
                             DescribeHookFailure(*refused) + "; nothing was deployed");
  }
  if (options.before_deploy) LARCH_RETURN_IF_ERROR(options.before_deploy(r.commit));
  DeployOptions deploy{os, r.refspec, options.allow_downgrade || r.recall, options.tries, options.booted,
                       r.recall ? "recall" : options.action, options.progress};
  LARCH_ASSIGN_OR_RETURN(r.deployed, Deploy(sysroot, deploy));
  LARCH_RETURN_IF_ERROR(ClearUpdateOffer(state.database(), os));
  LARCH_ASSIGN_OR_RETURN(std::optional<HookRun> failed,
                         RunAndRecordHooks(state.database(), r.hooks_etc, from_name, HookStage::kPostDeploy,
                                           r.hook_context, config.hook_timeout, &r.hook_runs));
  if (failed) r.hook_warning = DescribeHookFailure(*failed) + " (the deployment stands)";
  return r;
}

}  // namespace

Status PreRebootHooks(const Sysroot& sysroot, const UpgradeResult& upgrade) {
  if (upgrade.hooks_etc.empty()) return Status::Ok();
  LARCH_ASSIGN_OR_RETURN(SysrootConfig config, sysroot.ReadConfig());
  LARCH_ASSIGN_OR_RETURN(auto state, sysroot.OpenState());
  const std::string deployment = upgrade.deployed ? boot::DeploymentName(upgrade.deployed->deployment) : "";
  LARCH_ASSIGN_OR_RETURN(std::optional<HookRun> failed,
                         RunAndRecordHooks(state->database(), upgrade.hooks_etc, deployment, HookStage::kPreReboot,
                                           upgrade.hook_context, config.hook_timeout, nullptr));
  if (failed) {
    return Status::Cancelled(DescribeHookFailure(*failed) + "; not rebooting (the new deployment is the default for "
                             "the next boot)");
  }
  return Status::Ok();
}

Result<UpgradeResult> Upgrade(const Sysroot& sysroot, const UpgradeOptions& options) {
  if (options.mode == UpgradeMode::kCheck && !options.bundle.empty())
    return Status::InvalidArgument("--check asks the remote; a bundle is inspected with larch bundle show");
  if (options.expected_commit && !options.bundle.empty())
    return Status::InvalidArgument("an expected commit is for pulls; a bundle names its own");
  LARCH_ASSIGN_OR_RETURN(std::string os, ChooseOs(sysroot, options.os));
  LARCH_ASSIGN_OR_RETURN(boot::DeploymentId from, Current(sysroot, os, options.booted));
  LARCH_ASSIGN_OR_RETURN(DeploymentInfo info, DescribeDeployment(sysroot, from));
  const Origin origin = options.follow.value_or(info.origin);
  if (!origin.from_remote())
    return Status::InvalidArgument("deployment " + boot::DeploymentName(from) + " follows no remote (origin '" +
                                   info.origin.Refspec() + "'); deploy REMOTE:REF first");
  UpgradeResult r;
  r.mode = options.mode;
  r.refspec = origin.Refspec();
  LARCH_ASSIGN_OR_RETURN(auto state, sysroot.OpenState());
  LARCH_ASSIGN_OR_RETURN(SysrootConfig config, sysroot.ReadConfig());
  // The publisher's rollout control applies to what the device follows by
  // itself; a bundle or a fleet server's pointer was chosen for it.
  std::optional<trust::RolloutContext> rollout;
  if (options.bundle.empty() && !options.follow) rollout = RolloutFor(config, from, options.ignore_rollout);
  LARCH_ASSIGN_OR_RETURN(Fetched fetched, Fetch(sysroot, *state, origin, options, rollout));
  r.commit = fetched.commit;
  r.pulled = std::move(fetched.pulled);
  const bool check = options.mode == UpgradeMode::kCheck;
  const std::string version = r.pulled ? r.pulled->version : CommitVersion(sysroot, r.commit);
  if (r.pulled && !r.pulled->withheld.empty()) {
    r.withheld = r.pulled->withheld;
    if (!check) LARCH_RETURN_IF_ERROR(RecordOffer(*state, os, r, version, "withheld", r.withheld));
    return r;
  }
  r.recall = r.pulled && r.pulled->recall;
  LARCH_ASSIGN_OR_RETURN(r.current, DefaultCommit(sysroot, os));
  r.up_to_date = r.current == r.commit.Hex();
  if (r.up_to_date) {
    if (!check) LARCH_RETURN_IF_ERROR(ClearUpdateOffer(state->database(), os));
    return r;
  }
  LARCH_ASSIGN_OR_RETURN(r.failed_before, FindFailedRelease(state->database(), os, r.commit.Hex()));
  if (r.failed_before || check) return r;
  if (options.mode == UpgradeMode::kDownloadOnly) {
    LARCH_RETURN_IF_ERROR(RecordOffer(*state, os, r, version, "downloaded", "downloaded, not deployed (--download-only)"));
    return r;
  }
  return GateAndDeploy(sysroot, options, *state, config, os, from, info, version, r);
}

Result<UpgradeResult> DeployFetched(const Sysroot& sysroot, const UpgradeOptions& options, const std::string& refspec,
                                    const repo::ObjectId& commit) {
  LARCH_ASSIGN_OR_RETURN(std::string os, ChooseOs(sysroot, options.os));
  LARCH_ASSIGN_OR_RETURN(boot::DeploymentId from, Current(sysroot, os, options.booted));
  LARCH_ASSIGN_OR_RETURN(DeploymentInfo info, DescribeDeployment(sysroot, from));
  LARCH_ASSIGN_OR_RETURN(auto state, sysroot.OpenState());
  LARCH_ASSIGN_OR_RETURN(SysrootConfig config, sysroot.ReadConfig());
  UpgradeResult r;
  r.refspec = refspec;
  r.commit = commit;
  LARCH_ASSIGN_OR_RETURN(r.current, DefaultCommit(sysroot, os));
  r.up_to_date = r.current == r.commit.Hex();
  if (r.up_to_date) return r;
  return GateAndDeploy(sysroot, options, *state, config, os, from, info, CommitVersion(sysroot, commit), r);
}

std::string RebootCommand() {
  const char* command = std::getenv(kRebootCommandEnv);
  if (command != nullptr && *command != '\0') return command;
  // systemd's own test for "booted with systemd" (sd_booted(3)).
  struct stat st;
  if (::lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode)) return "systemctl reboot";
  return "reboot";
}

Status Reboot() {
  const std::string command = RebootCommand();
  std::fflush(nullptr);  // what the upgrade printed goes out before the shutdown
  const int rc = std::system(command.c_str());
  if (rc == -1) return Status::FromErrno(errno, "running the reboot command '" + command + "'");
  if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
    return Status::IoError("the reboot command '" + command + "' failed (wait status " + std::to_string(rc) +
                           "); the new deployment is the default for the next boot");
  }
  return Status::Ok();
}

}  // namespace larch::deploy
