// File: deploy/deployment_info.h
//
// What status, history and the verbs say about a deployment: its commit's
// version and what it follows (.origin).
#pragma once

#include <optional>
#include <string>

#include "deploy/deploy_history.h"
#include "deploy/origin.h"
#include "deploy/sysroot.h"
#include "src/bootstate/boot_state.h"

namespace larch::deploy {

struct DeploymentInfo {
  boot::DeploymentId id;
  std::string version;  // "" when the commit has none
  Origin origin;
};

// kCorruption naming the .origin file when it does not decode; kNotFound
// when the deployment's commit is gone from the store.
Result<DeploymentInfo> DescribeDeployment(const Sysroot& sysroot, const boot::DeploymentId& id);

// The version of a deployment's commit, or "" when it cannot be read (for
// history lines, which must not fail because an old commit was pruned).
std::string VersionOrEmpty(const Sysroot& sysroot, const boot::DeploymentId& id);

// A history line for a change of the default from `from` to `to` (either
// may be absent), with both versions filled in; outcome "ok".
DeployEvent MakeEvent(const Sysroot& sysroot, const std::string& action, const std::optional<boot::DeploymentId>& from,
                      const std::optional<boot::DeploymentId>& to);

}  // namespace larch::deploy
