// File: deploy/bls_entry.cc
#include "deploy/bls_entry.h"

namespace larch::deploy {

std::string BlsEntryName(const BootEntry& entry, size_t index) {
  return "larch-" + entry.id.os + "-" + std::to_string(index) + ".conf";
}

std::string RenderBlsEntry(const BootEntry& e, size_t index, size_t count) {
  std::string name = e.id.commit.substr(0, 12) + "." + std::to_string(e.id.serial);
  std::string out = "title " + e.id.os + (e.version.empty() ? "" : " " + e.version) + " (" + name + ")\n";
  out += "version " + std::to_string(count - index) + "\n";
  out += "linux " + e.kernel + "\n";
  if (!e.initramfs.empty()) out += "initrd " + e.initramfs + "\n";
  out += "options " + e.options + "\n";
  return out;
}

std::string RenderUEnv(const std::vector<BootEntry>& entries) {
  std::string out;
  for (size_t i = 0; i < entries.size() && i < 2; ++i) {
    std::string n = i == 0 ? "" : "2";
    out += "kernel_image" + n + "=" + entries[i].kernel + "\n";
    if (!entries[i].initramfs.empty()) out += "ramdisk_image" + n + "=" + entries[i].initramfs + "\n";
    out += "bootargs" + n + "=" + entries[i].options + "\n";
  }
  return out;
}

}  // namespace larch::deploy
