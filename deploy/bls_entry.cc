// File: deploy/bls_entry.cc
#include "deploy/bls_entry.h"

#include "deploy/uboot_env.h"

namespace larch::deploy {

std::string BlsEntryName(const BootEntry& entry, size_t index) {
  return "larch-" + entry.id.os + "-" + std::to_string(index) + ".conf";
}

namespace {

std::string Title(const BootEntry& e) {
  std::string name = e.id.commit.substr(0, 12) + "." + std::to_string(e.id.serial);
  return e.id.os + (e.version.empty() ? "" : " " + e.version) + " (" + name + ")";
}

// One GRUB script word: single quotes keep everything literal ($, ;, spaces);
// a single quote itself closes, is escaped, and reopens.
std::string GrubQuote(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Each argument of a kernel command line as its own quoted word: GRUB
// passes the words to the kernel joined by spaces.
std::string GrubWords(const std::string& line) {
  std::string out, word;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i < line.size() && line[i] != ' ') {
      word += line[i];
    } else if (!word.empty()) {
      out += " " + GrubQuote(word);
      word.clear();
    }
  }
  return out;
}

}  // namespace

std::string RenderBlsEntry(const BootEntry& e, size_t index, size_t count) {
  std::string out = "title " + Title(e) + "\n";
  out += "version " + std::to_string(count - index) + "\n";
  out += "linux " + e.kernel + "\n";
  if (!e.initramfs.empty()) out += "initrd " + e.initramfs + "\n";
  out += "options " + e.options + "\n";
  return out;
}

std::string RenderUEnv(const std::vector<BootEntry>& entries, uint32_t uboot_tries) {
  std::string out;
  if (!entries.empty()) {
    out += "larch_default=" + boot::DeploymentName(entries[0].id) + "\n";
    out += "larch_tries=" + UbootHex(uboot_tries) + "\n";
  }
  for (size_t i = 0; i < entries.size() && i < 2; ++i) {
    std::string n = i == 0 ? "" : "2";
    out += "kernel_image" + n + "=" + entries[i].kernel + "\n";
    if (!entries[i].initramfs.empty()) out += "ramdisk_image" + n + "=" + entries[i].initramfs + "\n";
    out += "bootargs" + n + "=" + entries[i].options + "\n";
  }
  return out;
}

std::string RenderGrubConfig(const std::vector<BootEntry>& entries) {
  std::string out = "# Written by larch admin; replaced whole on every change.\nset default=0\n";
  for (size_t i = 0; i < entries.size(); ++i) {
    const BootEntry& e = entries[i];
    out += "menuentry " + GrubQuote(Title(e)) + " --id " + GrubQuote("larch-" + e.id.os + "-" + std::to_string(i)) + " {\n";
    out += "  linux" + GrubWords(e.kernel) + GrubWords(e.options) + "\n";
    if (!e.initramfs.empty()) out += "  initrd" + GrubWords(e.initramfs) + "\n";
    out += "}\n";
  }
  return out;
}

}  // namespace larch::deploy
