// File: initramfs/boot_partition.cc
#include "initramfs/boot_partition.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <vector>

#include "initramfs/cmdline.h"
#include "initramfs/log.h"

namespace larch::initramfs {

namespace {

// Filesystems the kernel offers for block devices (lines without "nodev").
std::vector<std::string> BlockFilesystems() {
  std::string error;
  std::optional<std::string> text = ReadProcFile("/proc/filesystems", &error);
  std::vector<std::string> types;
  size_t pos = 0;
  while (text && pos < text->size()) {
    size_t end = text->find('\n', pos);
    if (end == std::string::npos) end = text->size();
    std::string line = text->substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind("nodev", 0) == 0) continue;
    size_t start = line.find_first_not_of(" \t");
    if (start != std::string::npos) types.push_back(line.substr(start));
  }
  return types;
}

}  // namespace

std::string BootDevicePath(const std::string& spec) {
  for (auto [prefix, dir] : {std::pair{"UUID=", "/dev/disk/by-uuid/"}, {"LABEL=", "/dev/disk/by-label/"},
                             {"PARTUUID=", "/dev/disk/by-partuuid/"}}) {
    std::string p = prefix;
    if (spec.size() > p.size() && spec.compare(0, p.size(), p) == 0) return dir + spec.substr(p.size());
  }
  if (spec.size() > 5 && spec.compare(0, 5, "/dev/") == 0 && spec.find("/..") == std::string::npos) return spec;
  return "";
}

std::string MountBootPartition(const std::string& sysroot, const std::string& spec, int wait_ms) {
  std::string device = BootDevicePath(spec);
  if (device.empty()) return "larch.boot=" + spec + " is not a /dev path, UUID=, LABEL= or PARTUUID=";
  const std::string target = sysroot + "/boot";
  struct stat root_st, boot_st, dev_st;
  if (stat(sysroot.c_str(), &root_st) != 0 || stat(target.c_str(), &boot_st) != 0)
    return target + ": " + ErrnoText(errno);
  if (boot_st.st_dev != root_st.st_dev) return "";  // mounted already
  for (int waited = 0; stat(device.c_str(), &dev_st) != 0; waited += 100) {
    if (waited >= wait_ms) return device + " did not appear within " + std::to_string(wait_ms / 1000) + " s";
    usleep(100 * 1000);
  }
  if (!S_ISBLK(dev_st.st_mode)) return device + " is not a block device";
  std::string tried;
  for (const std::string& type : BlockFilesystems()) {
    if (mount(device.c_str(), target.c_str(), type.c_str(), MS_NOSUID | MS_NODEV, nullptr) == 0) {
      Info("mounted the boot partition " + device + " (" + type + ") on " + target);
      return "";
    }
    if (errno != EINVAL && errno != ENODEV && errno != ENOTBLK) return "mounting " + device + ": " + ErrnoText(errno);
    tried += (tried.empty() ? "" : ", ") + type;
  }
  return "mounting " + device + " on " + target + ": no filesystem type fits (tried " + tried + ")";
}

}  // namespace larch::initramfs
