// File: deploy/upgrade.h
//
// `larch admin upgrade`: fetch what the running deployment follows and
// deploy it. The origin is that of the booted deployment of the OS (else
// its default); it must name a remote. The commit comes from:
//   pull     pull::Pull of <remote>:<ref> (summary, commit and objects
//            verified; trust state recorded), or
//   bundle   --bundle FILE: delta::ApplyDelta of the offline bundle, with
//            the remote's policy (the same checks as a pull),
// and is then deployed like `deploy <remote>:<ref>`, which verifies it
// once more against the installed state. Nothing is deployed when the
// default deployment already runs that commit.
#pragma once

#include <optional>
#include <string>

#include "deploy/deploy.h"
#include "deploy/sysroot.h"

namespace larch::deploy {

struct UpgradeOptions {
  std::string os;
  std::string bundle;  // empty: pull from the remote
  bool allow_downgrade = false;
  std::optional<uint32_t> tries;
  std::optional<boot::DeploymentId> booted;
};

struct UpgradeResult {
  std::string refspec;  // remote:ref followed
  repo::ObjectId commit;
  bool up_to_date = false;
  std::optional<DeployResult> deployed;
};

Result<UpgradeResult> Upgrade(const Sysroot& sysroot, const UpgradeOptions& options);

}  // namespace larch::deploy
