// File: initramfs/switch_root.h
//
// The switch into the new root when the helper itself is PID 1 (exec'd by
// the initramfs's /init, with nobody left to do it): what util-linux's
// switch_root does, and what busybox's leaves out.
//
//   1. /dev, /proc, /sys and /run move into the new root (MS_MOVE; where
//      the new root has no such directory, or the move fails, they are
//      detached instead);
//   2. when the old root is the initramfs (fstype "rootfs" in
//      /proc/self/mountinfo), its files are deleted to give the memory
//      back, never crossing into another filesystem;
//   3. the new root moves onto "/", the process chroots into it and execs
//      the init program with `args` (what followed `--` on the helper's
//      command line: the kernel's arguments for init, passed on by /init).
#pragma once

#include <string>
#include <vector>

namespace larch::initramfs {

// Returns only on failure, with what went wrong.
std::string SwitchRoot(const std::string& new_root, const std::string& init, const std::vector<std::string>& args);

}  // namespace larch::initramfs
