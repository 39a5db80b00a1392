// File: deploy/booted.h
//
// Which deployment is running. The kernel command line's larch= argument
// (boot_state.h) names the deployment the boot configuration *asked* for;
// after a fallback the initramfs helper booted another one, so on a running
// device the answer comes from the root directory itself: "/" is the
// deployment directory bind-mounted on itself, so its device and inode are
// those of exactly one ostree/deploy/<os>/deploy/<name>. The command line
// is the answer only when no deployment matches (a root that is not a
// deployment) or when tests and image builders point it elsewhere: a file
// (--cmdline FILE) or the LARCH_CMDLINE environment variable.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "deploy/sysroot.h"
#include "src/base/result.h"
#include "src/bootstate/boot_state.h"
#include "src/fs/fs.h"

namespace larch::deploy {

inline constexpr char kCmdlineEnv[] = "LARCH_CMDLINE";

// From `cmdline_file` when not empty, else $LARCH_CMDLINE when set, else
// /proc/cmdline. nullopt when the command line has no larch= (not booted
// from a deployment); kInvalidArgument when larch= is malformed.
Result<std::optional<boot::DeploymentId>> ReadBootedDeployment(fs::Fs& fs, const std::string& cmdline_file);

// The deployment of `sysroot` whose directory has this device and inode,
// searched over every OS; nullopt when none has.
Result<std::optional<boot::DeploymentId>> DeploymentWithIdentity(const Sysroot& sysroot, dev_t dev, ino_t ino);

// The running deployment of `sysroot`: the deployment that "/" is (see
// above); else, when `sysroot` is the system's own root, the command line's
// larch=; else none (a sysroot being built, another disk).
Result<std::optional<boot::DeploymentId>> FindRunningDeployment(const Sysroot& sysroot, bool sysroot_is_root);

}  // namespace larch::deploy
