// File: initramfs/writable.h
//
// The physical root mounted read-only (`ro` on the kernel command line) is
// made writable only when the helper must write to it (the boot-state, a
// missing mount point) and read-only again once the new root is ready, so
// the booted system finds it as the command line asked.
#pragma once

#include <string>

namespace larch::initramfs {

class Writable {
 public:
  explicit Writable(std::string sysroot);
  // Remounts read-write on first need; "" or why it failed.
  std::string Need();
  // Back to read-only if Need() remounted; `where` is the physical root's
  // mount point now (<sysroot>/sysroot once the deployment is mounted).
  void Restore(const std::string& where);

 private:
  std::string sysroot_;
  bool read_only_ = false;
  bool remounted_ = false;
};

}  // namespace larch::initramfs
