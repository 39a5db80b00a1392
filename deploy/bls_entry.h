// File: deploy/bls_entry.h
//
// The text a boot loader reads: Boot Loader Specification entries
// (entries/larch-<os>-<index>.conf) and, for U-Boot, a uEnv.txt, for
// GRUB without blscfg, a grub.cfg. Written,
// never read back: the boot-state file is Larch's record of the
// deployments (boot_state.h); these are derived from it each time the boot
// configuration is rebuilt. Index 0 (the default) gets the highest
// `version`, so loaders that sort newest first (systemd-boot, GRUB's blscfg)
// show it first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/bootstate/boot_state.h"

namespace larch::deploy {

struct BootEntry {
  boot::DeploymentId id;
  std::string version;    // the commit's version metadata ("" when none)
  std::string kernel;     // as the loader sees it, e.g. "/boot/larch/debian-<csum>/vmlinuz-6.1.0"
  std::string initramfs;  // likewise; "" when the commit has none
  std::string options;    // the whole kernel command line, larch= included
};

std::string BlsEntryName(const BootEntry& entry, size_t index);
std::string RenderBlsEntry(const BootEntry& entry, size_t index, size_t count);
// For U-Boot's boot.cmd (initramfs/uboot/): larch_default (the default's
// <commit>.<serial>), larch_tries (the boots U-Boot gives a new default, hex;
// uboot_env.h), kernel_image/ramdisk_image/bootargs for the default and *2
// for the fallback.
std::string RenderUEnv(const std::vector<BootEntry>& entries, uint32_t uboot_tries);
// A grub.cfg with one menuentry per entry, the default first, for a GRUB
// without blscfg: `configfile /boot/loader/grub.cfg` (initramfs/grub/).
std::string RenderGrubConfig(const std::vector<BootEntry>& entries);

}  // namespace larch::deploy
