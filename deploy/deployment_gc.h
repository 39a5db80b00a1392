// File: deploy/deployment_gc.h
//
// Removing what the boot configuration in force no longer names: run after
// every change of the configuration (deploy, undeploy, ...) and by cleanup.
// For each OS: deployment directories and their .origin files, leftovers of
// interrupted runs (.stage-*, .delete-*, checkout temporaries), the refs
// deploy/<os>/<name>; then /boot/larch/ directories no kept deployment
// boots. The booted deployment is never removed, whatever the list says.
// A directory is first renamed to a hidden .delete-<name> (and that made
// durable), so a crash midway never leaves half a tree under a deployment's
// name.
#pragma once

#include <optional>
#include <vector>

#include "deploy/sysroot.h"
#include "src/bootstate/boot_state.h"

namespace larch::deploy {

struct GcResult {
  std::vector<boot::DeploymentId> removed;
  uint64_t boot_dirs_removed = 0;
};

Result<GcResult> RemoveUnreferenced(const Sysroot& sysroot, const std::vector<boot::DeploymentId>& kept,
                                    const std::optional<boot::DeploymentId>& booted);

}  // namespace larch::deploy
