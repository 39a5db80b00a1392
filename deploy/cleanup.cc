// File: deploy/cleanup.cc
#include "deploy/cleanup.h"

#include "deploy/boot_config.h"
#include "deploy/deploy_history.h"
#include "deploy/deployment_gc.h"
#include "deploy/deployment_info.h"
#include "repo/prune.h"

namespace larch::deploy {

Result<CleanupResult> Cleanup(const Sysroot& sysroot, const std::optional<boot::DeploymentId>& booted) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd lock, sysroot.Lock());
  LARCH_ASSIGN_OR_RETURN(BootConfig current, ReadBootConfig(sysroot));
  std::vector<boot::DeploymentId> kept;
  if (current.state) kept = current.state->deployments;
  LARCH_ASSIGN_OR_RETURN(GcResult gc, RemoveUnreferenced(sysroot, kept, booted));
  // Deployment refs are gone with their trees, so their commits can go too.
  LARCH_ASSIGN_OR_RETURN(repo::PruneStats pruned, repo::Prune(sysroot.store(), repo::PruneOptions{false, false}));
  CleanupResult r{gc.removed, gc.boot_dirs_removed, pruned.objects_deleted, pruned.bytes_freed};
  DeployEvent e = MakeEvent(sysroot, "cleanup", std::nullopt, std::nullopt);
  e.detail = std::to_string(r.removed.size()) + " deployments, " + std::to_string(r.boot_dirs_removed) +
             " boot directories, " + std::to_string(r.objects_deleted) + " objects removed";
  LARCH_ASSIGN_OR_RETURN(auto state, sysroot.OpenState());
  LARCH_RETURN_IF_ERROR(RecordDeployEvent(state->database(), e).WithContext("recording the history"));
  return r;
}

}  // namespace larch::deploy
