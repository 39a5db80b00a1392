// File: deploy/booted.h
//
// Which deployment is running: the kernel command line's larch= argument
// (boot_state.h), read from /proc/cmdline. Tests and image builders point
// it elsewhere: a file (--cmdline FILE) or the LARCH_CMDLINE environment
// variable holding the command line itself.
#pragma once

#include <optional>
#include <string>

#include "deploy/boot_state.h"
#include "src/base/result.h"
#include "src/fs/fs.h"

namespace larch::deploy {

inline constexpr char kCmdlineEnv[] = "LARCH_CMDLINE";

// From `cmdline_file` when not empty, else $LARCH_CMDLINE when set, else
// /proc/cmdline. nullopt when the command line has no larch= (not booted
// from a deployment); kInvalidArgument when larch= is malformed.
Result<std::optional<boot::DeploymentId>> ReadBootedDeployment(fs::Fs& fs, const std::string& cmdline_file);

}  // namespace larch::deploy
