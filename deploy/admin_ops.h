// File: deploy/admin_ops.h
//
// The admin verbs that reorder, remove or mark deployments without building
// one: rollback, set-default, undeploy, pin/unpin and boot-ok. Each runs
// under the sysroot's lock, changes the boot configuration only through
// SwapBootConfig (a new loader directory and one symlink rename), removes
// what the new configuration dropped, and records itself in the history.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "deploy/install_hooks.h"
#include "deploy/sysroot.h"
#include "src/bootstate/boot_state.h"

namespace larch::deploy {

struct ChangeResult {
  std::vector<boot::DeploymentId> before;
  std::vector<boot::DeploymentId> after;
  std::vector<boot::DeploymentId> removed;
  std::string cleanup_error;  // the change stands; removing dropped ones failed
};

// `tries`: boots the new default gets (default larch.conf boot-tries).
Result<ChangeResult> Rollback(const Sysroot& sysroot, const std::optional<boot::DeploymentId>& booted,
                              std::optional<uint32_t> tries);
Result<ChangeResult> SetDefault(const Sysroot& sysroot, size_t index, const std::optional<boot::DeploymentId>& booted,
                                std::optional<uint32_t> tries);
Result<ChangeResult> Undeploy(const Sysroot& sysroot, size_t index, const std::optional<boot::DeploymentId>& booted);

// Pins or unpins deployment `index` (its .origin file, replaced atomically).
Result<boot::DeploymentId> SetPinned(const Sysroot& sysroot, size_t index, bool pinned);

struct BootOkResult {
  boot::DeploymentId booted;
  bool is_default = false;  // the booted deployment is the default
  bool fell_back = false;   // the boot-time helper had given up on the default
  std::string reason;       // why, when it fell back
  // The boot-ok or fell-back hooks of the running deployment, when this
  // boot-ok confirmed a new default or first found a failed one; a failing
  // hook does not change the outcome (hook_warning says which).
  std::vector<HookRun> hook_runs;
  std::string hook_warning;
};

// Marks the booted deployment good when it is the default (tries stop
// counting), and records the boot's outcome; kInvalidArgument when the
// command line names no deployment, kNotFound when it is not configured.
Result<BootOkResult> BootOk(const Sysroot& sysroot, const std::optional<boot::DeploymentId>& booted);

}  // namespace larch::deploy
