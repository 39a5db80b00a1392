// File: initramfs/bootable.h
//
// Whether a deployment can be booted, judged from the physical root before
// anything is mounted: its directory is exactly
// ostree/deploy/<os>/deploy/<commit>.<serial> (no symlink anywhere on the
// way, so `larch=` cannot point outside /ostree/deploy), it has a /usr
// directory, and an init program (resolved inside the deployment, so
// /sbin -> usr/sbin works and nothing points out of it).
#pragma once

#include <string>
#include <vector>

#include "src/bootstate/boot_state.h"

namespace larch::initramfs {

// What the kernel would try in turn without init= (init/main.c).
inline const std::vector<std::string> kDefaultInits = {"/sbin/init", "/etc/init", "/bin/init", "/bin/sh"};

// Empty when bootable, else why not. `init` gets the first of `inits`
// that is an executable regular file inside the deployment.
std::string CheckBootable(int sysroot, const boot::DeploymentId& id, const std::vector<std::string>& inits,
                          std::string* init);

// Every deployment directory under ostree/deploy/*/deploy/, newest first
// (by modification time, then name). Leftovers (.stage-*, .delete-*) and
// origin files are not deployments and are skipped.
std::vector<boot::DeploymentId> FindDeployments(int sysroot);

}  // namespace larch::initramfs
