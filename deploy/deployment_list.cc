// File: deploy/deployment_list.cc
#include "deploy/deployment_list.h"

#include <algorithm>

namespace larch::deploy {

namespace {

std::optional<size_t> IndexOf(const DeploymentList& list, const boot::DeploymentId& id) {
  auto it = std::find(list.begin(), list.end(), id);
  if (it == list.end()) return std::nullopt;
  return static_cast<size_t>(it - list.begin());
}

void AddOnce(DeploymentList& list, const boot::DeploymentId& id) {
  if (!IndexOf(list, id)) list.push_back(id);
}

DeploymentList MoveToFront(const DeploymentList& current, size_t index) {
  DeploymentList out{current[index]};
  for (size_t i = 0; i < current.size(); ++i)
    if (i != index) out.push_back(current[i]);
  return out;
}

Status CheckIndex(const DeploymentList& current, size_t index) {
  if (index < current.size()) return Status::Ok();
  return Status::NotFound("no deployment with index " + std::to_string(index) + " (there are " +
                          std::to_string(current.size()) + "; see larch admin status)");
}

}  // namespace

Roles RolesOf(const DeploymentList& list, const std::optional<boot::DeploymentId>& booted) {
  Roles r;
  if (booted) r.booted = IndexOf(list, *booted);
  if (r.booted && *r.booted != 0) r.pending = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    if (i == r.booted || i == r.pending || (!r.booted && i == 0)) continue;
    r.rollback = i;
    break;
  }
  return r;
}

DeploymentList ListAfterDeploy(const DeploymentList& current, const boot::DeploymentId& fresh,
                               const std::optional<boot::DeploymentId>& booted,
                               const std::set<std::string>& pinned_paths) {
  DeploymentList out{fresh};
  Roles roles = RolesOf(current, booted);
  // B, or the default when B is unknown (or not in the list): what the new
  // deployment was merged from, and what a failed boot falls back to.
  std::optional<size_t> anchor = roles.booted ? roles.booted : current.empty() ? std::nullopt : std::optional<size_t>(0);
  if (anchor) AddOnce(out, current[*anchor]);
  if (roles.rollback) AddOnce(out, current[*roles.rollback]);
  for (const boot::DeploymentId& d : current)
    if (pinned_paths.contains(boot::DeploymentPath(d))) AddOnce(out, d);
  return out;
}

Result<DeploymentList> ListAfterRollback(const DeploymentList& current, const std::optional<boot::DeploymentId>& booted) {
  Roles roles = RolesOf(current, booted);
  if (roles.pending && roles.booted) return MoveToFront(current, *roles.booted);
  if (!roles.rollback) return Status::NotFound("there is no deployment to roll back to");
  return MoveToFront(current, *roles.rollback);
}

Result<DeploymentList> ListAfterSetDefault(const DeploymentList& current, size_t index) {
  LARCH_RETURN_IF_ERROR(CheckIndex(current, index));
  return MoveToFront(current, index);
}

Result<DeploymentList> ListAfterUndeploy(const DeploymentList& current, size_t index,
                                         const std::optional<boot::DeploymentId>& booted) {
  LARCH_RETURN_IF_ERROR(CheckIndex(current, index));
  if (booted && current[index] == *booted)
    return Status::InvalidArgument("deployment " + std::to_string(index) + " is the booted one; it cannot be undeployed");
  if (current.size() == 1) return Status::InvalidArgument("deployment 0 is the only one; it cannot be undeployed");
  DeploymentList out = current;
  out.erase(out.begin() + static_cast<ptrdiff_t>(index));
  return out;
}

boot::BootState StateForList(const std::optional<boot::BootState>& current, DeploymentList list, uint32_t tries) {
  boot::BootState next;
  next.deployments = std::move(list);
  bool same_default = current && current->deployments[0] == next.deployments[0];
  if (!same_default) {
    next.tries_left = tries;
    return next;
  }
  next.tries_left = current->tries_left;
  next.status = current->status;
  next.reason = current->reason;
  // Its fallback is gone: no longer a fallen-back state the helper could keep.
  if (next.status == boot::BootStatus::kFellBack && next.deployments.size() < 2) {
    next.status = boot::BootStatus::kPending;
    next.reason.clear();
  }
  return next;
}

}  // namespace larch::deploy
