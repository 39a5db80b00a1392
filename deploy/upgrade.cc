// File: deploy/upgrade.cc
#include "deploy/upgrade.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "deploy/boot_config.h"
#include "deploy/deployment_info.h"
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
                      const UpgradeOptions& options) {
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

}  // namespace

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
  LARCH_ASSIGN_OR_RETURN(Fetched fetched, Fetch(sysroot, *state, origin, options));
  r.commit = fetched.commit;
  r.pulled = std::move(fetched.pulled);
  LARCH_ASSIGN_OR_RETURN(r.current, DefaultCommit(sysroot, os));
  r.up_to_date = r.current == r.commit.Hex();
  if (r.up_to_date) return r;
  LARCH_ASSIGN_OR_RETURN(r.failed_before, FindFailedRelease(state->database(), os, r.commit.Hex()));
  if (r.failed_before || options.mode != UpgradeMode::kDeploy) return r;
  if (options.before_deploy) LARCH_RETURN_IF_ERROR(options.before_deploy(r.commit));
  DeployOptions deploy{os, r.refspec, options.allow_downgrade, options.tries, options.booted, options.action,
                       options.progress};
  LARCH_ASSIGN_OR_RETURN(r.deployed, Deploy(sysroot, deploy));
  return r;
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
