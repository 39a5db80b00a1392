// File: deploy/boot_config.h
//
// The boot configuration: /boot/loader, a symlink to loader.<generation>,
// a directory holding everything a boot reads:
//   entries/larch-<os>-<index>.conf   BLS entries, index 0 = the default
//   uEnv.txt                          U-Boot (bootloader=uboot in larch.conf)
//   grub.cfg                          GRUB without blscfg (bootloader=grub)
//   boot-state                        boot_state.h: the deployments in boot
//                                     order, tries left, fallback reason
// A change never edits the directory in force. SwapBootConfig builds
// loader.<generation + 1> from scratch, syncs it, and renames a new symlink
// over /boot/loader (OSTree's loader.0/loader.1 swap, with a fresh name each
// time so that a failed change can remove what it built and leave /boot
// exactly as it was); older directories are removed after the switch.
// After a crash the configuration is the old one or the new one, whole.
// The one file written in place is boot-state, by the boot-time helper
// (counting tries), with its own write-and-rename.
#pragma once

#include <optional>

#include "deploy/sysroot.h"
#include "src/bootstate/boot_state.h"

namespace larch::deploy {

inline constexpr char kUEnvName[] = "uEnv.txt";
inline constexpr char kGrubConfigName[] = "grub.cfg";

struct BootConfig {
  uint64_t generation = 0;               // N of loader.N in force
  std::optional<boot::BootState> state;  // nullopt: no deployments yet
};

// The configuration in force. kCorruption naming the file when the symlink
// or the boot-state does not decode; nothing is changed then.
Result<BootConfig> ReadBootConfig(const Sysroot& sysroot);

// Makes `next` (nullopt: no deployments) the configuration in force.
// REQUIRES: every deployment it names is complete and durable (synced), and
// so are its boot files (InstallBootFiles).
Status SwapBootConfig(const Sysroot& sysroot, const BootConfig& current, const std::optional<boot::BootState>& next);

}  // namespace larch::deploy
