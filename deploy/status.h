// File: deploy/status.h
//
// What `larch admin status` shows: the deployments of the boot
// configuration in force, in boot order, with their roles (booted, pending,
// rollback; deployment_list.h), version, commit, origin and pin, and the
// boot-state: tries left for the default, and whether (and why) the last
// boot fell back. Reads only; takes no lock (the configuration is replaced
// atomically, never edited).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "deploy/deployment_info.h"
#include "deploy/sysroot.h"
#include "deploy/update_offer.h"
#include "deploy/update_window.h"
#include "src/bootstate/boot_state.h"

namespace larch::deploy {

struct DeploymentStatus {
  size_t index = 0;
  DeploymentInfo info;
  std::string error;  // its origin or commit could not be read (info is partial)
  bool is_default = false, booted = false, pending = false, rollback = false;
};

struct SysrootStatus {
  std::vector<DeploymentStatus> deployments;
  std::optional<boot::BootState> boot;
  std::optional<boot::DeploymentId> booted;  // from the kernel command line
  bool booted_configured = false;            // and found in the list
  // What the last unattended upgrade found and did not deploy, per OS
  // (update_offer.h): withheld by a rollout, downloaded, deferred.
  std::vector<UpdateOffer> offers;
  // larch.conf update-window, and when it next opens (now when inside).
  std::optional<UpdateWindow> update_window;
  std::optional<int64_t> next_window;
};

Result<SysrootStatus> GatherStatus(const Sysroot& sysroot, const std::optional<boot::DeploymentId>& booted);

}  // namespace larch::deploy
