// File: deploy/sysroot_config.h
//
// SysrootConfig: <sysroot>/ostree/larch.conf, the device's settings for
// deployments, in key_value.h syntax. Every key is optional:
//   min-free-space=3%          free space a deploy must leave on the sysroot's
//                              filesystem: N% of its size, or bytes with an
//                              optional K, M or G suffix (powers of 1024)
//   boot-tries=3               boots a new default gets before the boot-time
//                              helper falls back (1..99)
//   bootloader=bls             bls: Boot Loader Specification entries only;
//                              uboot: also a uEnv.txt for U-Boot;
//                              grub: also a grub.cfg for a GRUB without
//                              blscfg (Debian's), read with configfile
//   kernel-args=root=/dev/vda2 rw   put before larch= on every entry
//   verity=opportunistic       off | opportunistic | required: whether the
//                              store seals file objects with fs-verity as
//                              they arrive (repo/store_config.h); when
//                              absent, the store's own config decides
//   device-id=board-0042       the id staged rollouts place the device by
//                              (repo/trust/rollout.h); default: the
//                              running system's /etc/machine-id
//   update-window=Mon-Fri 01:00-04:00   when `admin upgrade` may deploy
//                              and reboot (deploy/update_window.h; local
//                              time); it downloads at any time
//   hook-timeout=60            seconds each install hook may run
//                              (deploy/install_hooks.h), 1..3600
//   uboot-env-config=/etc/fw_env.config   bootloader=uboot: the libubootenv
//                              configuration `admin boot-ok` hands fw_setenv
//                              to reset U-Boot's boot counter
//                              (deploy/uboot_env.h); default: fw_setenv's own
// A missing file means the defaults above.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "deploy/update_window.h"
#include "repo/store_config.h"
#include "src/base/result.h"
#include "src/fs/fs.h"

namespace larch::deploy {

enum class Bootloader { kBls, kUboot, kGrub };

struct SysrootConfig {
  // Exactly one of the two is in force: a percentage when bytes == 0.
  uint64_t min_free_bytes = 0;
  uint32_t min_free_percent = 3;
  uint32_t boot_tries = 3;
  Bootloader bootloader = Bootloader::kBls;
  std::string kernel_args;
  std::optional<repo::VerityMode> verity;
  std::string device_id;                     // "": /etc/machine-id
  std::optional<UpdateWindow> update_window;  // none: deploy at any time
  uint32_t hook_timeout = 60;
  std::string uboot_env_config;               // "": fw_setenv's default
  bool operator==(const SysrootConfig&) const = default;
};

inline constexpr char kSysrootConfigName[] = "larch.conf";

std::string EncodeSysrootConfig(const SysrootConfig& config);
// The one decoder; kCorruption naming the line for anything it does not know.
Result<SysrootConfig> DecodeSysrootConfig(std::string_view text);
// Reads ostree_fd/larch.conf; the defaults when it does not exist.
Result<SysrootConfig> ReadSysrootConfig(fs::Fs& fs, int ostree_fd);

// The device id for staged rollouts: device-id=, else the first line of
// `machine_id_path`; kNotFound naming both when neither gives one.
Result<std::string> RolloutDeviceId(const SysrootConfig& config, const std::string& machine_id_path = "/etc/machine-id");

// The bytes min-free-space asks to keep free on a filesystem of `total` bytes.
uint64_t MinFreeBytes(const SysrootConfig& config, uint64_t total);

}  // namespace larch::deploy
