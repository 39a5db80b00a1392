// File: deploy/admin_ops.cc
#include "deploy/admin_ops.h"

#include <algorithm>
#include <functional>

#include "deploy/boot_config.h"
#include "deploy/deploy_history.h"
#include "deploy/deployment_gc.h"
#include "deploy/deployment_info.h"
#include "deploy/deployment_list.h"
#include "deploy/failed_releases.h"
#include "deploy/hook_history.h"
#include "deploy/sysroot_config.h"
#include "deploy/origin.h"
#include "deploy/uboot_env.h"

namespace larch::deploy {

namespace {

using ListChange = std::function<Result<DeploymentList>(const DeploymentList&)>;

Result<BootConfig> ReadConfigured(const Sysroot& sysroot) {
  LARCH_ASSIGN_OR_RETURN(BootConfig current, ReadBootConfig(sysroot));
  if (!current.state) return Status::NotFound("there are no deployments in " + sysroot.path());
  return current;
}

Status Record(const Sysroot& sysroot, const DeployEvent& event) {
  LARCH_ASSIGN_OR_RETURN(auto state, sysroot.OpenState());
  return RecordDeployEvent(state->database(), event).WithContext("recording the history");
}

Result<ChangeResult> ChangeList(const Sysroot& sysroot, const std::string& action, const ListChange& change,
                                const std::optional<boot::DeploymentId>& booted, std::optional<uint32_t> tries) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd lock, sysroot.Lock());
  LARCH_ASSIGN_OR_RETURN(BootConfig current, ReadConfigured(sysroot));
  LARCH_ASSIGN_OR_RETURN(SysrootConfig config, sysroot.ReadConfig());
  ChangeResult r;
  r.before = current.state->deployments;
  LARCH_ASSIGN_OR_RETURN(r.after, change(r.before));
  boot::BootState next = StateForList(current.state, r.after, tries.value_or(config.boot_tries));
  LARCH_RETURN_IF_ERROR(SwapBootConfig(sysroot, current, next));
  Result<GcResult> gc = RemoveUnreferenced(sysroot, r.after, booted);
  if (gc.ok()) r.removed = gc->removed;
  else r.cleanup_error = gc.status().message();
  DeployEvent e = MakeEvent(sysroot, action, r.before[0], r.after[0]);
  for (const boot::DeploymentId& d : r.removed) e.detail += (e.detail.empty() ? "removed " : ", ") + boot::DeploymentName(d);
  LARCH_RETURN_IF_ERROR(Record(sysroot, e));
  return r;
}

Result<boot::DeploymentId> At(const BootConfig& config, size_t index) {
  const DeploymentList& list = config.state->deployments;
  if (index >= list.size())
    return Status::NotFound("no deployment with index " + std::to_string(index) + " (see larch admin status)");
  return list[index];
}

}  // namespace

Result<ChangeResult> Rollback(const Sysroot& sysroot, const std::optional<boot::DeploymentId>& booted,
                              std::optional<uint32_t> tries) {
  auto change = [&](const DeploymentList& list) { return ListAfterRollback(list, booted); };
  return ChangeList(sysroot, "rollback", change, booted, tries);
}

Result<ChangeResult> SetDefault(const Sysroot& sysroot, size_t index, const std::optional<boot::DeploymentId>& booted,
                                std::optional<uint32_t> tries) {
  auto change = [&](const DeploymentList& list) { return ListAfterSetDefault(list, index); };
  return ChangeList(sysroot, "set-default", change, booted, tries);
}

Result<ChangeResult> Undeploy(const Sysroot& sysroot, size_t index, const std::optional<boot::DeploymentId>& booted) {
  auto change = [&](const DeploymentList& list) { return ListAfterUndeploy(list, index, booted); };
  return ChangeList(sysroot, "undeploy", change, booted, std::nullopt);
}

Result<boot::DeploymentId> SetPinned(const Sysroot& sysroot, size_t index, bool pinned) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd lock, sysroot.Lock());
  LARCH_ASSIGN_OR_RETURN(BootConfig current, ReadConfigured(sysroot));
  LARCH_ASSIGN_OR_RETURN(boot::DeploymentId id, At(current, index));
  LARCH_ASSIGN_OR_RETURN(UniqueFd deploy, sysroot.OpenDeployDir(id.os));
  std::string name = boot::DeploymentName(id);
  LARCH_ASSIGN_OR_RETURN(Origin origin, ReadOrigin(sysroot.fs(), deploy.get(), name));
  if (origin.pinned == pinned) return id;
  origin.pinned = pinned;
  LARCH_RETURN_IF_ERROR(WriteOrigin(sysroot.fs(), deploy.get(), name, origin));
  LARCH_RETURN_IF_ERROR(Record(sysroot, MakeEvent(sysroot, pinned ? "pin" : "unpin", id, id)));
  return id;
}

Result<BootOkResult> BootOk(const Sysroot& sysroot, const std::optional<boot::DeploymentId>& booted) {
  if (!booted)
    return Status::InvalidArgument("the kernel command line names no deployment (no larch=); nothing to mark good");
  LARCH_ASSIGN_OR_RETURN(UniqueFd lock, sysroot.Lock());
  LARCH_ASSIGN_OR_RETURN(SysrootConfig current_config, sysroot.ReadConfig());
  LARCH_ASSIGN_OR_RETURN(BootConfig current, ReadConfigured(sysroot));
  const boot::BootState state = *current.state;
  BootOkResult r{*booted, state.deployments[0] == *booted, false, "", {}, ""};
  if (!r.is_default && std::find(state.deployments.begin(), state.deployments.end(), *booted) == state.deployments.end())
    return Status::NotFound("the booted deployment " + boot::DeploymentPath(*booted) + " is not in the boot configuration");
  r.fell_back = state.status == boot::BootStatus::kFellBack && state.deployments[1] == *booted;
  r.reason = r.fell_back ? state.reason : "";
  // U-Boot counts every boot of the default in its own environment: reset
  // first, at every boot-ok, or it would give up a good deployment after
  // boots it survived. When that fails nothing is marked: a default whose
  // boot loader would still give it up is not good.
  if (current_config.bootloader == Bootloader::kUboot && r.is_default) {
    LARCH_RETURN_IF_ERROR(ResetUbootCounter(*booted, UbootTries(current_config.boot_tries),
                                            current_config.uboot_env_config));
  }
  if (r.is_default && state.status != boot::BootStatus::kGood) {
    boot::BootState next = state;
    next.status = boot::BootStatus::kGood;
    next.reason.clear();
    LARCH_RETURN_IF_ERROR(SwapBootConfig(sysroot, current, next));
  }
  LARCH_ASSIGN_OR_RETURN(auto db, sysroot.OpenState());
  BootOutcome outcome{0, 0, boot::DeploymentPath(*booted), r.fell_back ? "fell-back" : "good", r.reason};
  LARCH_RETURN_IF_ERROR(RecordBootOutcome(db->database(), outcome).WithContext("recording the boot outcome"));
  // Hooks run once per outcome: boot-ok when this boot confirmed a new
  // default, fell-back the first time a release is found to have failed.
  std::optional<HookStage> stage;
  HookContext ctx{booted->os, "", VersionOrEmpty(sysroot, *booted), "", booted->commit, sysroot.path()};
  if (r.fell_back) {
    const boot::DeploymentId& failed = state.deployments[0];
    LARCH_ASSIGN_OR_RETURN(auto before, FindFailedRelease(db->database(), failed.os, failed.commit));
    LARCH_RETURN_IF_ERROR(RecordFailedRelease(db->database(), {failed.os, failed.commit, 0, r.reason})
                              .WithContext("recording the release that failed to boot"));
    if (!before) stage = HookStage::kFellBack;
    ctx.from_commit = failed.commit;
    ctx.from_version = VersionOrEmpty(sysroot, failed);
  } else if (r.is_default && state.status != boot::BootStatus::kGood) {
    stage = HookStage::kBootOk;
    if (state.deployments.size() > 1) {
      ctx.from_commit = state.deployments[1].commit;
      ctx.from_version = VersionOrEmpty(sysroot, state.deployments[1]);
    }
  }
  if (!stage) return r;
  lock.Reset();  // a hook may run larch itself
  // From the deployment that runs: the new one that proved itself, or the
  // fallback that is alive (the failed one's /etc may be what broke it).
  const std::string etc = sysroot.path() + boot::DeploymentPath(*booted) + "/etc";
  LARCH_ASSIGN_OR_RETURN(std::optional<HookRun> failed,
                         RunAndRecordHooks(db->database(), etc, boot::DeploymentName(*booted), *stage, ctx,
                                           current_config.hook_timeout, &r.hook_runs));
  if (failed) r.hook_warning = DescribeHookFailure(*failed);
  return r;
}

}  // namespace larch::deploy
