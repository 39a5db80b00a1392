// File: deploy/boot_files.h
//
// The kernel and initramfs a commit carries, and their copy in /boot.
// Where a commit keeps them (the first that exists):
//   usr/lib/modules/<version>/vmlinuz  (+ initramfs.img)       OSTree's layout
//   boot/vmlinuz-<version>             (+ initrd.img-<version>) Debian's
// With several versions, the last in byte order is used.
// In /boot they live in larch/<os>-<bootcsum>/, named by the SHA-256 of the
// two file object ids: installed once per distinct content, shared by every
// deployment that has it, and removed by cleanup when none does.
#pragma once

#include <optional>
#include <string>

#include "deploy/sysroot.h"
#include "repo/objects/commit.h"
#include "repo/objects/object_id.h"

namespace larch::deploy {

struct KernelFiles {
  std::string version;         // "6.1.0-18-amd64"
  std::string kernel_path;     // in the tree, e.g. "usr/lib/modules/6.1.0-18-amd64/vmlinuz"
  repo::ObjectId kernel;
  uint64_t kernel_size = 0;
  std::string initramfs_path;  // empty when there is none
  std::optional<repo::ObjectId> initramfs;
  uint64_t initramfs_size = 0;

  std::string BootCsum() const;  // 64 hex
  // "<os>-<bootcsum>": the directory below /boot/larch.
  std::string BootDirName(const std::string& os) const { return os + "-" + BootCsum(); }
  // "larch/<os>-<bootcsum>": the directory below /boot.
  std::string BootDir(const std::string& os) const;
  std::string KernelName() const { return "vmlinuz-" + version; }
  std::string InitramfsName() const { return "initramfs-" + version + ".img"; }
};

inline constexpr char kBootFilesDir[] = "larch";

// kUnsupported naming both places looked at when the commit has no kernel.
Result<KernelFiles> FindKernel(const repo::Store& store, const repo::Commit& commit);

// Makes /boot/larch/<os>-<bootcsum>/ hold the kernel and initramfs of the
// deployment whose root is deployment_fd: hard links when /boot is on the
// same filesystem, copies otherwise. Built under a temporary name and
// renamed into place; nothing to do when it already exists. Not synced:
// the caller syncs before the boot configuration names it. True when this
// call created the directory (so a failed deploy knows to remove it).
Result<bool> InstallBootFiles(const Sysroot& sysroot, const std::string& os, const KernelFiles& kernel,
                        int deployment_fd);

// Bytes InstallBootFiles would write to /boot (0 when present or linked).
Result<uint64_t> BootFilesCost(const Sysroot& sysroot, const std::string& os, const KernelFiles& kernel);

}  // namespace larch::deploy
