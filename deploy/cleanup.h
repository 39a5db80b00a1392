// File: deploy/cleanup.h
//
// `larch admin cleanup`: removes what no deployment or ref needs, in an
// order a crash cannot hurt: deployments the boot configuration no longer
// names (and their origins, refs, leftovers of interrupted runs), then boot
// files no kept deployment boots (deployment_gc.h), then objects of the
// store no ref reaches (repo/prune.h: commits first, then the rest). Each
// kept deployment's commit is held by its ref deploy/<os>/<commit>.<serial>;
// pulled refs (remote:ref) keep theirs. History beyond those commits goes.
#pragma once

#include <optional>
#include <vector>

#include "deploy/sysroot.h"
#include "src/bootstate/boot_state.h"

namespace larch::deploy {

struct CleanupResult {
  std::vector<boot::DeploymentId> removed;
  uint64_t boot_dirs_removed = 0;
  uint64_t objects_deleted = 0;
  uint64_t bytes_freed = 0;
};

Result<CleanupResult> Cleanup(const Sysroot& sysroot, const std::optional<boot::DeploymentId>& booted);

}  // namespace larch::deploy
