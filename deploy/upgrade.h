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
#include "deploy/install_hooks.h"
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
  // Install a staged or halted release although this device is not (yet)
  // in its rollout (trust/rollout.h); a recall is not overridden.
  bool ignore_rollout = false;
  // Deploy now, outside the update window (larch.conf update-window=).
  bool now = false;
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
  // The publisher's rollout control kept the head from this device
  // (staged beyond it, halted, recalled): why; nothing was fetched.
  std::string withheld;
  // `commit` is a recall's target: the device ran the recalled release.
  bool recall = false;
  // Fetched but not deployed: outside the update window, or a `check`
  // hook said not now (why; next_window when the window is the reason).
  std::string deferred;
  std::optional<int64_t> next_window;
  // Install hooks that ran (all recorded in the history); a failing
  // post-deploy hook does not undo the deploy: it is reported here.
  std::vector<HookRun> hook_runs;
  std::string hook_warning;
  // What the pre-reboot hooks get (PreRebootHooks), once deployed.
  std::string hooks_etc;  // the booted deployment's etc directory
  HookContext hook_context;
};

Result<UpgradeResult> Upgrade(const Sysroot& sysroot, const UpgradeOptions& options);

// Deploys `commit`, fetched earlier and held by the local ref `refspec`
// (an upgrade that was deferred, a fleet server's download-only step),
// through the same gates as Upgrade: check hooks, update window (unless
// options.now), pre-deploy hooks; then the post-deploy hooks. Nothing is
// fetched; options' fetch fields are not used.
Result<UpgradeResult> DeployFetched(const Sysroot& sysroot, const UpgradeOptions& options, const std::string& refspec,
                                    const repo::ObjectId& commit);

// The pre-reboot hooks of the deployment an upgrade started from, before
// `--reboot` reboots into what it deployed: recorded in the history; an
// error (naming the hook) when one fails: do not reboot then.
Status PreRebootHooks(const Sysroot& sysroot, const UpgradeResult& upgrade);

// How `--reboot` restarts the device after a deploy: $LARCH_REBOOT_COMMAND
// when set (tests, devices with their own way), else "systemctl reboot"
// when systemd runs (/run/systemd/system), else "reboot".
inline constexpr char kRebootCommandEnv[] = "LARCH_REBOOT_COMMAND";
std::string RebootCommand();
// Runs RebootCommand() through /bin/sh; an error when it cannot be run or
// exits non-zero.
Status Reboot();

}  // namespace larch::deploy
