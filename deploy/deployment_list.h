// File: deploy/deployment_list.h
//
// How each admin verb changes the list of deployments in the boot
// configuration (index 0 is the default, index 1 the fallback the boot-time
// helper uses when the default fails). Pure functions: no filesystem.
//
// Roles, relative to the booted deployment B (from the kernel command line;
// unknown in a sysroot that is not running, e.g. an image being built,
// where the default stands in for it):
//   pending   the default, when it is not B (it waits for a reboot)
//   rollback  the first deployment that is neither B nor pending: what
//             `rollback` goes back to
// Keep rule: a deploy keeps the new deployment, B and one rollback; any
// other (the previous pending, older ones) goes unless pinned.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "src/base/result.h"
#include "src/bootstate/boot_state.h"

namespace larch::deploy {

using DeploymentList = std::vector<boot::DeploymentId>;

struct Roles {
  std::optional<size_t> booted;
  std::optional<size_t> pending;
  std::optional<size_t> rollback;
};
Roles RolesOf(const DeploymentList& list, const std::optional<boot::DeploymentId>& booted);

// `fresh` first, then B (or the old default), the rollback, and every
// pinned deployment, in their old order.
DeploymentList ListAfterDeploy(const DeploymentList& current, const boot::DeploymentId& fresh,
                               const std::optional<boot::DeploymentId>& booted,
                               const std::set<std::string>& pinned_paths);
// With a pending deployment: B becomes the default again. Without: the
// rollback deployment becomes the default. kNotFound when there is none.
Result<DeploymentList> ListAfterRollback(const DeploymentList& current, const std::optional<boot::DeploymentId>& booted);
Result<DeploymentList> ListAfterSetDefault(const DeploymentList& current, size_t index);
// Refuses the booted deployment and the last one.
Result<DeploymentList> ListAfterUndeploy(const DeploymentList& current, size_t index,
                                         const std::optional<boot::DeploymentId>& booted);

// The boot-state for a new list. A new default gets `tries` boots and status
// pending; an unchanged default keeps its counters (and a fell-back status
// only while it still has a fallback).
boot::BootState StateForList(const std::optional<boot::BootState>& current, DeploymentList list, uint32_t tries);

}  // namespace larch::deploy
