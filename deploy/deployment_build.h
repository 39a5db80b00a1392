// File: deploy/deployment_build.h
//
// Building one deployment directory, ostree/deploy/<os>/deploy/<commit>.<serial>:
//   1. the ref deploy/<os>/<commit>.<serial>, so prune keeps the commit;
//   2. a hard-link checkout into the hidden .stage-<name> (repo/checkout.h);
//   3. /etc: a commit with etc/ at the top gets it moved to usr/etc (the
//      read-only defaults, hard links like the rest of /usr); a commit with
//      both is refused; then etc/ is made as a merged, writable copy
//      (etc_merge.h) from the deployment it replaces, or as a plain copy of
//      the defaults for the first one;
//   4. <name>.origin; the kernel and initramfs into /boot (boot_files.h);
//   5. syncfs, then one rename of .stage-<name> to <name>, and an fsync of
//      the deploy directory: the name exists only for a complete, durable
//      tree.
// Any failure removes what this call made (ref, stage, origin, boot files
// it installed), so a refused or failed deploy leaves the sysroot as it was.
#pragma once

#include <optional>

#include "deploy/boot_files.h"
#include "deploy/deploy_source.h"
#include "deploy/etc_merge.h"
#include "deploy/sysroot.h"
#include "src/base/progress.h"
#include "src/bootstate/boot_state.h"

namespace larch::deploy {

struct BuildRequest {
  boot::DeploymentId id;  // the name to create; must not exist
  const DeploySource* source = nullptr;
  const KernelFiles* kernel = nullptr;
  // The deployment whose /etc is merged (nullopt: none, copy the defaults).
  std::optional<boot::DeploymentId> merge_from;
  ProgressFn progress = nullptr;  // the checkout's (repo/checkout.h)
};

// "deploy/<os>/<commit>.<serial>": the ref that keeps a deployment's commit.
std::string DeploymentRefName(const boot::DeploymentId& id);

Result<EtcMergeResult> BuildDeployment(const Sysroot& sysroot, const BuildRequest& request);

}  // namespace larch::deploy
