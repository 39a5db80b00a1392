// File: deploy/upgrade.cc
#include "deploy/upgrade.h"

#include <algorithm>

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
  LARCH_ASSIGN_OR_RETURN(delta::ApplyStats stats, delta::ApplyDelta(sysroot.store(), *source, apply));
  return stats.commit;
}

Result<repo::ObjectId> Fetch(const Sysroot& sysroot, const Origin& origin, const UpgradeOptions& options) {
  LARCH_ASSIGN_OR_RETURN(auto state, sysroot.OpenState());
  if (!options.bundle.empty()) return FetchBundle(sysroot, origin, *state, options);
  LARCH_ASSIGN_OR_RETURN(trust::RemoteConfig remote, trust::ReadRemote(sysroot.store(), origin.remote));
  pull::PullOptions pull;
  pull.ref = origin.ref;
  pull.allow_downgrade = options.allow_downgrade;
  LARCH_ASSIGN_OR_RETURN(pull::PullResult pulled, pull::Pull(sysroot.store(), remote, *state, pull));
  return pulled.commit;
}

}  // namespace

Result<UpgradeResult> Upgrade(const Sysroot& sysroot, const UpgradeOptions& options) {
  LARCH_ASSIGN_OR_RETURN(std::string os, ChooseOs(sysroot, options.os));
  LARCH_ASSIGN_OR_RETURN(boot::DeploymentId from, Current(sysroot, os, options.booted));
  LARCH_ASSIGN_OR_RETURN(DeploymentInfo info, DescribeDeployment(sysroot, from));
  if (!info.origin.from_remote())
    return Status::InvalidArgument("deployment " + boot::DeploymentName(from) + " follows no remote (origin '" +
                                   info.origin.Refspec() + "'); deploy REMOTE:REF first");
  UpgradeResult r;
  r.refspec = info.origin.Refspec();
  LARCH_ASSIGN_OR_RETURN(r.commit, Fetch(sysroot, info.origin, options));
  LARCH_ASSIGN_OR_RETURN(BootConfig config, ReadBootConfig(sysroot));
  const boot::DeploymentId* default_of_os = nullptr;
  if (config.state) {
    for (const boot::DeploymentId& d : config.state->deployments)
      if (d.os == os && default_of_os == nullptr) default_of_os = &d;
  }
  r.up_to_date = default_of_os != nullptr && default_of_os->commit == r.commit.Hex();
  if (r.up_to_date) return r;
  DeployOptions deploy{os, r.refspec, options.allow_downgrade, options.tries, options.booted, "upgrade"};
  LARCH_ASSIGN_OR_RETURN(r.deployed, Deploy(sysroot, deploy));
  return r;
}

}  // namespace larch::deploy
