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
//
// Two modes stop early (docs/deploy.md, "Checking and downloading"):
//   check          the pull's dry run (summary and commit verified, the
//                  delta's superblock or the tree's metadata fetched into
//                  the download cache to size the update): nothing else
//                  changes; `up_to_date` says whether there is an update;
//   download-only  the pull as above (ref and trust state written), no
//                  deploy: a later upgrade finds the commit in the store
//                  and fetches nothing of it again.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "deploy/deploy.h"
#include "deploy/failed_releases.h"
#include "deploy/sysroot.h"
#include "repo/pull/pull.h"

namespace larch::deploy {

enum class UpgradeMode { kDeploy, kCheck, kDownloadOnly };

struct UpgradeOptions {
  std::string os;
  std::string bundle;  // empty: pull from the remote
  bool allow_downgrade = false;
  std::optional<uint32_t> tries;
  std::optional<boot::DeploymentId> booted;
  UpgradeMode mode = UpgradeMode::kDeploy;
  uint64_t max_rate = 0;  // the pull's bytes per second (pull::FetchOptions); 0: unlimited
  // The pull's (or the bundle's apply), then the deploy's checkout.
  ProgressFn progress = nullptr;
  // Follow this remote:ref instead of the deployment's origin (a hawkBit
  // pointer artifact names what to install); the new deployment follows it.
  std::optional<Origin> follow;
  // Pull only this commit (PullOptions::expected_commit); not for bundles.
  std::optional<repo::ObjectId> expected_commit;
  // Called once the commit is fetched and verified, before it is deployed
  // (a hawkBit client reports "downloaded" there); an error stops the
  // upgrade with the commit in the store and nothing deployed.
  std::function<Status(const repo::ObjectId& commit)> before_deploy;
  std::string action = "upgrade";  // as recorded in the deployment history
};

struct UpgradeResult {
  UpgradeMode mode = UpgradeMode::kDeploy;
  std::string refspec;  // remote:ref followed
  repo::ObjectId commit;
  std::string current;  // the commit the OS's default runs (hex); empty: none
  // The default already runs `commit`: nothing to deploy (check: no update).
  bool up_to_date = false;
  // `commit` failed to boot on this device before (failed_releases.h): not
  // deployed again (check: no update); `larch admin deploy` still can.
  std::optional<FailedRelease> failed_before;
  std::optional<pull::PullResult> pulled;  // a pull (or its dry run); none for a bundle
  std::optional<DeployResult> deployed;
};

Result<UpgradeResult> Upgrade(const Sysroot& sysroot, const UpgradeOptions& options);

// How `--reboot` restarts the device after a deploy: $LARCH_REBOOT_COMMAND
// when set (tests, devices with their own way), else "systemctl reboot"
// when systemd runs (/run/systemd/system), else "reboot".
inline constexpr char kRebootCommandEnv[] = "LARCH_REBOOT_COMMAND";
std::string RebootCommand();
// Runs RebootCommand() through /bin/sh; an error when it cannot be run or
// exits non-zero.
Status Reboot();

}  // namespace larch::deploy
