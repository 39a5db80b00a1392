// File: initramfs/boot_partition.h
//
// A separate /boot partition (common on boards booted by U-Boot): the
// boot-state lives in its loader.N directory, so it must be mounted on
// <sysroot>/boot before the boot-state is read. `larch.boot=SPEC` on the
// kernel command line names it: a /dev path, or UUID=, LABEL=, PARTUUID=
// (through /dev/disk/by-*, which udev makes). The filesystem type is found
// by trying those /proc/filesystems lists for block devices, as mount(8)
// does. It stays mounted: after the switch it is <new root>/sysroot/boot,
// where `larch admin --sysroot /sysroot` finds the boot configuration.
#pragma once

#include <string>

namespace larch::initramfs {

// /dev path for SPEC ("" when SPEC is none of the accepted forms).
std::string BootDevicePath(const std::string& spec);

// Mounts SPEC read-write on <sysroot>/boot unless something is mounted
// there already, waiting up to `wait_ms` for the device to appear.
// "" or what failed.
std::string MountBootPartition(const std::string& sysroot, const std::string& spec, int wait_ms);

}  // namespace larch::initramfs
