// File: initramfs/cmdline.h
//
// The kernel command line as the helper reads it: /proc/cmdline, split on
// blanks like the kernel does for init's arguments (no quoting: the values
// the helper reads never contain blanks). Arguments are found, and `larch=`
// parsed, by src/bootstate/boot_state.h, the one parser shared with `larch admin`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace larch::initramfs {

// A whole /proc file such as /proc/cmdline (at most 64 KiB); nullopt with
// `error` set when unreadable.
std::optional<std::string> ReadProcFile(const std::string& path, std::string* error);

// Options of the helper on the kernel command line.
struct CmdlineOptions {
  std::optional<std::string> init;  // init=: what to run in the new root
  bool shell = true;                // larch.shell=0: no rescue shell, reboot instead
  std::optional<std::string> boot;  // larch.boot=: a separate /boot partition
  // larch.loader-fallback=<commit>.<serial>: the boot loader (U-Boot's
  // boot.cmd) booted the fallback because this default used up the tries
  // it counts itself (docs/boot.md, "U-Boot").
  std::optional<std::string> loader_fallback;
};
CmdlineOptions ParseCmdlineOptions(std::string_view cmdline);

}  // namespace larch::initramfs
