// File: initramfs/writable.cc
#include "initramfs/writable.h"

#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cerrno>

#include "initramfs/log.h"

namespace larch::initramfs {

Writable::Writable(std::string sysroot) : sysroot_(std::move(sysroot)) {
  struct statvfs vfs;
  read_only_ = statvfs(sysroot_.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0;
}

std::string Writable::Need() {
  if (!read_only_ || remounted_) return "";
  if (mount(nullptr, sysroot_.c_str(), nullptr, MS_REMOUNT, nullptr) != 0)
    return "remounting " + sysroot_ + " read-write: " + ErrnoText(errno);
  remounted_ = true;
  Info("remounted " + sysroot_ + " read-write to write to it");
  return "";
}

void Writable::Restore(const std::string& where) {
  if (remounted_ && mount(nullptr, where.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) != 0)
    Problem("remounting " + where + " read-only again: " + ErrnoText(errno));
  remounted_ = false;
}

}  // namespace larch::initramfs
