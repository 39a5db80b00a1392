// File: deploy/sysroot_config.cc
#include "deploy/sysroot_config.h"

#include <algorithm>

#include <charconv>
#include <cstdio>

#include "deploy/key_value.h"
#include "src/base/units.h"
#include "src/fs/atomic.h"

namespace larch::deploy {

namespace {

constexpr char kWhat[] = "sysroot config larch.conf";

const char* BootloaderName(Bootloader b) {
  switch (b) {
    case Bootloader::kUboot: return "uboot";
    case Bootloader::kGrub: return "grub";
    case Bootloader::kBls: break;
  }
  return "bls";
}

Status Bad(const std::string& why) { return Status::Corruption(std::string(kWhat) + ": " + why); }

Result<uint64_t> ParseNumber(std::string_view text, uint64_t max, const std::string& key) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > max ||
      (text.size() > 1 && text[0] == '0'))
    return Bad(key + " must be a number from 0 to " + std::to_string(max) + ", got '" + std::string(text) + "'");
  return value;
}

Status ParseMinFree(std::string_view text, SysrootConfig& config) {
  if (!text.empty() && text.back() == '%') {
    LARCH_ASSIGN_OR_RETURN(uint64_t percent, ParseNumber(text.substr(0, text.size() - 1), 99, "min-free-space percent"));
    config.min_free_percent = static_cast<uint32_t>(percent);
    config.min_free_bytes = 0;
    return Status::Ok();
  }
  Result<uint64_t> bytes = ParseSize(text, 1ull << 50);
  if (!bytes.ok()) return Bad("min-free-space " + bytes.status().message());
  config.min_free_bytes = *bytes;
  config.min_free_percent = 0;
  return Status::Ok();
}

Status CheckKernelArgs(const std::string& args) {
  for (char c : args)
    if (c < 0x20 || c > 0x7e) return Bad("kernel-args must be printable ASCII");
  if (args.size() > 1024) return Bad("kernel-args longer than 1024 bytes");
  if (args.find("larch=") != std::string::npos) return Bad("kernel-args must not set larch= (deploy adds it)");
  return Status::Ok();
}

std::string MinFreeText(const SysrootConfig& c) {
  if (c.min_free_bytes == 0) return std::to_string(c.min_free_percent) + "%";
  for (auto [unit, suffix] : {std::pair{1ull << 30, "G"}, {1ull << 20, "M"}, {1ull << 10, "K"}})
    if (c.min_free_bytes % unit == 0) return std::to_string(c.min_free_bytes / unit) + suffix;
  return std::to_string(c.min_free_bytes);
}

}  // namespace

std::string EncodeSysrootConfig(const SysrootConfig& c) {
  std::string out = "min-free-space=" + MinFreeText(c) + "\n";
  out += "boot-tries=" + std::to_string(c.boot_tries) + "\n";
  out += std::string("bootloader=") + BootloaderName(c.bootloader) + "\n";
  if (!c.kernel_args.empty()) out += "kernel-args=" + c.kernel_args + "\n";
  if (c.verity) out += "verity=" + std::string(repo::VerityModeName(*c.verity)) + "\n";
  if (!c.device_id.empty()) out += "device-id=" + c.device_id + "\n";
  if (c.update_window) out += "update-window=" + EncodeUpdateWindow(*c.update_window) + "\n";
  if (c.hook_timeout != 60) out += "hook-timeout=" + std::to_string(c.hook_timeout) + "\n";
  if (!c.uboot_env_config.empty()) out += "uboot-env-config=" + c.uboot_env_config + "\n";
  return out;
}

Result<SysrootConfig> DecodeSysrootConfig(std::string_view text) {
  LARCH_ASSIGN_OR_RETURN(KeyValues kv, ParseKeyValues(text, {"min-free-space", "boot-tries", "bootloader", "kernel-args", "verity", "device-id", "update-window", "hook-timeout", "uboot-env-config"}, kWhat));
  SysrootConfig c;
  if (auto it = kv.find("min-free-space"); it != kv.end()) LARCH_RETURN_IF_ERROR(ParseMinFree(it->second, c));
  if (auto it = kv.find("boot-tries"); it != kv.end()) {
    LARCH_ASSIGN_OR_RETURN(uint64_t tries, ParseNumber(it->second, 99, "boot-tries"));
    if (tries == 0) return Bad("boot-tries must be at least 1");
    c.boot_tries = static_cast<uint32_t>(tries);
  }
  if (auto it = kv.find("bootloader"); it != kv.end()) {
    bool known = false;
    for (Bootloader b : {Bootloader::kBls, Bootloader::kUboot, Bootloader::kGrub}) {
      if (it->second == BootloaderName(b)) c.bootloader = b, known = true;
    }
    if (!known) return Bad("bootloader must be bls, uboot or grub, got '" + it->second + "'");
  }
  if (auto it = kv.find("kernel-args"); it != kv.end()) {
    LARCH_RETURN_IF_ERROR(CheckKernelArgs(it->second));
    c.kernel_args = it->second;
  }
  if (auto it = kv.find("verity"); it != kv.end()) {
    Result<repo::VerityMode> mode = repo::ParseVerityMode(it->second);
    if (!mode.ok()) return Bad(mode.status().message());
    c.verity = *mode;
  }
  if (auto it = kv.find("device-id"); it != kv.end()) {
    if (it->second.empty() || it->second.size() > 256) return Bad("device-id must be 1 to 256 characters");
    c.device_id = it->second;
  }
  if (auto it = kv.find("update-window"); it != kv.end()) {
    Result<UpdateWindow> window = ParseUpdateWindow(it->second);
    if (!window.ok()) return Bad(window.status().message());
    c.update_window = *window;
  }
  if (auto it = kv.find("hook-timeout"); it != kv.end()) {
    LARCH_ASSIGN_OR_RETURN(uint64_t seconds, ParseNumber(it->second, 3600, "hook-timeout"));
    if (seconds == 0) return Bad("hook-timeout must be at least 1");
    c.hook_timeout = static_cast<uint32_t>(seconds);
  }
  if (auto it = kv.find("uboot-env-config"); it != kv.end()) {
    const std::string& path = it->second;
    if (path.empty() || path[0] != '/' || path.size() > 1024 ||
        std::any_of(path.begin(), path.end(), [](char ch) { return ch < 0x21 || ch > 0x7e; }))
      return Bad("uboot-env-config must be an absolute path without blanks, got '" + path + "'");
    c.uboot_env_config = path;
  }
  return c;
}

Result<SysrootConfig> ReadSysrootConfig(fs::Fs& fs, int ostree_fd) {
  Result<Bytes> text = fs::ReadFileFully(fs, ostree_fd, kSysrootConfigName, 64 << 10);
  if (!text.ok() && text.status().IsNotFound()) return SysrootConfig{};
  if (!text.ok()) return text.status().WithContext(kWhat);
  return DecodeSysrootConfig(AsStringView(*text));
}

Result<std::string> RolloutDeviceId(const SysrootConfig& config, const std::string& machine_id_path) {
  if (!config.device_id.empty()) return config.device_id;
  std::FILE* f = std::fopen(machine_id_path.c_str(), "re");
  char line[256] = {0};
  const bool read = f != nullptr && std::fgets(line, sizeof line, f) != nullptr;
  if (f != nullptr) std::fclose(f);
  std::string id = read ? line : "";
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  if (id.empty()) {
    return Status::NotFound("no device id for staged rollouts: set device-id= in larch.conf, or give the system a " +
                            machine_id_path);
  }
  return id;
}

uint64_t MinFreeBytes(const SysrootConfig& config, uint64_t total) {
  if (config.min_free_bytes != 0) return config.min_free_bytes;
  return total / 100 * config.min_free_percent;
}

}  // namespace larch::deploy
