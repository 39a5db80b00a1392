// File: deploy/deployment_info.cc
#include "deploy/deployment_info.h"

#include "repo/trust/install_check.h"

namespace larch::deploy {

namespace {

Result<std::string> CommitVersion(const Sysroot& sysroot, const boot::DeploymentId& id) {
  LARCH_ASSIGN_OR_RETURN(repo::ObjectId commit_id, repo::ObjectId::FromHex(id.commit));
  LARCH_ASSIGN_OR_RETURN(repo::Commit commit, sysroot.store().ReadCommit(commit_id));
  auto it = commit.metadata.find(trust::kVersionKey);
  return it == commit.metadata.end() ? std::string() : it->second;
}

}  // namespace

Result<DeploymentInfo> DescribeDeployment(const Sysroot& sysroot, const boot::DeploymentId& id) {
  DeploymentInfo info;
  info.id = id;
  LARCH_ASSIGN_OR_RETURN(UniqueFd deploy, sysroot.OpenDeployDir(id.os));
  LARCH_ASSIGN_OR_RETURN(info.origin, ReadOrigin(sysroot.fs(), deploy.get(), boot::DeploymentName(id)));
  LARCH_ASSIGN_OR_RETURN(info.version, CommitVersion(sysroot, id));
  return info;
}

std::string VersionOrEmpty(const Sysroot& sysroot, const boot::DeploymentId& id) {
  Result<std::string> v = CommitVersion(sysroot, id);
  return v.ok() ? *v : std::string();
}

DeployEvent MakeEvent(const Sysroot& sysroot, const std::string& action, const std::optional<boot::DeploymentId>& from,
                      const std::optional<boot::DeploymentId>& to) {
  DeployEvent e;
  e.action = action;
  e.outcome = "ok";
  const std::optional<boot::DeploymentId>& any = to ? to : from;
  if (any) e.os = any->os;
  if (from) {
    e.from_deployment = boot::DeploymentName(*from);
    e.from_version = VersionOrEmpty(sysroot, *from);
  }
  if (to) {
    e.to_deployment = boot::DeploymentName(*to);
    e.to_version = VersionOrEmpty(sysroot, *to);
  }
  return e;
}

}  // namespace larch::deploy
