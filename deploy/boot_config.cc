// File: deploy/boot_config.cc
#include "deploy/boot_config.h"

#include "deploy/bls_entry.h"
#include "deploy/boot_files.h"
#include "deploy/uboot_env.h"
#include "repo/trust/install_check.h"
#include "src/fs/atomic.h"

namespace larch::deploy {

namespace {

constexpr std::string_view kLoaderPrefix = "loader.";
constexpr uint64_t kMaxGeneration = 999999999;

std::string LoaderDir(uint64_t generation) { return std::string(kLoaderPrefix) + std::to_string(generation); }

// "loader.<generation>", decimal without leading zeros; nullopt otherwise.
std::optional<uint64_t> ParseLoaderDir(std::string_view name) {
  if (name.substr(0, kLoaderPrefix.size()) != kLoaderPrefix) return std::nullopt;
  std::string_view digits = name.substr(kLoaderPrefix.size());
  if (digits.empty() || digits.size() > 9 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

Result<uint64_t> ReadLoaderGeneration(const Sysroot& sysroot) {
  LARCH_ASSIGN_OR_RETURN(std::string target, sysroot.fs().ReadLink(sysroot.boot_fd(), kLoaderLink));
  std::optional<uint64_t> generation = ParseLoaderDir(target);
  if (!generation)
    return Status::Corruption("boot configuration " + sysroot.path() + "/boot/loader points to '" + target +
                              "', not loader.<number>");
  return *generation;
}

Result<BootEntry> EntryFor(const Sysroot& sysroot, const boot::DeploymentId& id, const SysrootConfig& config) {
  LARCH_ASSIGN_OR_RETURN(repo::ObjectId commit_id, repo::ObjectId::FromHex(id.commit));
  LARCH_ASSIGN_OR_RETURN(repo::Commit commit, sysroot.store().ReadCommit(commit_id));
  LARCH_ASSIGN_OR_RETURN(KernelFiles kernel, FindKernel(sysroot.store(), commit));
  // Paths as the loader sees them: relative to the boot partition when
  // /boot is one, else to the root filesystem.
  std::string dir = (sysroot.boot_is_separate() ? "/" : "/boot/") + kernel.BootDir(id.os) + "/";
  BootEntry e;
  e.id = id;
  auto version = commit.metadata.find(trust::kVersionKey);
  if (version != commit.metadata.end()) e.version = version->second;
  e.kernel = dir + kernel.KernelName();
  if (kernel.initramfs) e.initramfs = dir + kernel.InitramfsName();
  e.options = (config.kernel_args.empty() ? "" : config.kernel_args + " ") + "larch=" + boot::DeploymentPath(id);
  return e;
}

// A new file with `text`; durability comes from the caller's syncfs.
Status WriteNewFile(fs::Fs& fs, int dirfd, const std::string& name, const std::string& text) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd fd, fs.CreateExclusive(dirfd, name, 0644));
  return fs.Write(fd.get(), AsBytes(text));
}

Status FillLoaderDir(const Sysroot& sysroot, int dir, const std::optional<boot::BootState>& next,
                     const SysrootConfig& config) {
  fs::Fs& fs = sysroot.fs();
  LARCH_RETURN_IF_ERROR(fs.Mkdir(dir, "entries", 0755));
  if (!next) return Status::Ok();
  LARCH_ASSIGN_OR_RETURN(UniqueFd entries_dir, fs.OpenDirPath(dir, "entries"));
  std::vector<BootEntry> entries;
  for (const boot::DeploymentId& id : next->deployments) {
    LARCH_ASSIGN_OR_RETURN(BootEntry e, EntryFor(sysroot, id, config));
    entries.push_back(std::move(e));
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    LARCH_RETURN_IF_ERROR(WriteNewFile(fs, entries_dir.get(), BlsEntryName(entries[i], i),
                                       RenderBlsEntry(entries[i], i, entries.size())));
  }
  if (config.bootloader == Bootloader::kUboot) {
    // A new default gets as many U-Boot boots as helper tries, plus one.
    const uint32_t tries = next->status == boot::BootStatus::kPending ? next->tries_left : config.boot_tries;
    LARCH_RETURN_IF_ERROR(WriteNewFile(fs, dir, kUEnvName, RenderUEnv(entries, UbootTries(tries))));
  }
  if (config.bootloader == Bootloader::kGrub)
    LARCH_RETURN_IF_ERROR(WriteNewFile(fs, dir, kGrubConfigName, RenderGrubConfig(entries)));
  return WriteNewFile(fs, dir, boot::kBootStateFile, boot::EncodeBootState(*next));
}

// U-Boot reads /boot/uEnv.txt: a symlink into whichever loader.N is in force.
Status EnsureUEnvLink(const Sysroot& sysroot, const SysrootConfig& config) {
  if (config.bootloader != Bootloader::kUboot || sysroot.fs().Stat(sysroot.boot_fd(), kUEnvName).ok())
    return Status::Ok();
  return fs::SymlinkAtomic(sysroot.fs(), sysroot.boot_fd(), std::string(kLoaderLink) + "/" + kUEnvName, kUEnvName);
}


// A fresh loader directory for `next`, durable when this returns.
Status BuildLoaderDir(const Sysroot& sysroot, const std::string& name, const std::optional<boot::BootState>& next,
                      const SysrootConfig& config) {
  fs::Fs& fs = sysroot.fs();
  // A leftover of a crash before its switch: never in force.
  LARCH_RETURN_IF_ERROR(fs::RemoveTree(fs, sysroot.boot_fd(), name));
  LARCH_RETURN_IF_ERROR(fs.Mkdir(sysroot.boot_fd(), name, 0755));
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, fs.OpenDirPath(sysroot.boot_fd(), name));
  LARCH_RETURN_IF_ERROR(FillLoaderDir(sysroot, dir.get(), next, config));
  LARCH_RETURN_IF_ERROR(EnsureUEnvLink(sysroot, config));
  // The new directory, whole, is durable before the symlink names it.
  return fs.SyncFs(sysroot.boot_fd());
}

bool InForce(const Sysroot& sysroot, const std::string& name) {
  Result<std::string> target = sysroot.fs().ReadLink(sysroot.boot_fd(), kLoaderLink);
  return target.ok() && *target == name;
}

// The switch: one rename of a symlink (SymlinkAtomic fsyncs /boot after
// it). When only that fsync failed the rename happened: the new
// configuration is in force, and a power loss leaves the old one or the
// new one, both complete. That is success, not something to undo.
Status Switch(const Sysroot& sysroot, const std::string& name) {
  Status s = fs::SymlinkAtomic(sysroot.fs(), sysroot.boot_fd(), name, kLoaderLink);
  return !s.ok() && InForce(sysroot, name) ? Status::Ok() : s;
}

// Best effort: earlier configurations are garbage once the new one is in
// force; whatever stays is removed by the next change.
void RemoveOldLoaderDirs(const Sysroot& sysroot, const std::string& in_force) {
  fs::Fs& fs = sysroot.fs();
  Result<std::vector<fs::DirEntry>> entries = fs.ReadDir(sysroot.boot_fd());
  if (!entries.ok()) return;
  for (const fs::DirEntry& e : *entries)
    if (e.name != in_force && ParseLoaderDir(e.name)) (void)fs::RemoveTree(fs, sysroot.boot_fd(), e.name);
}

}  // namespace

Result<BootConfig> ReadBootConfig(const Sysroot& sysroot) {
  BootConfig config;
  LARCH_ASSIGN_OR_RETURN(config.generation, ReadLoaderGeneration(sysroot));
  fs::Fs& fs = sysroot.fs();
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, fs.OpenDirPath(sysroot.boot_fd(), LoaderDir(config.generation)));
  Result<Bytes> text = fs::ReadFileFully(fs, dir.get(), boot::kBootStateFile, 64 << 10);
  if (!text.ok() && text.status().IsNotFound()) return config;
  std::string path = sysroot.path() + "/boot/" + LoaderDir(config.generation) + "/" + boot::kBootStateFile;
  if (!text.ok()) return text.status().WithContext("boot-state file " + path);
  boot::Decoded<boot::BootState> state = boot::DecodeBootState(AsStringView(*text));
  if (!state.value) return Status::Corruption("boot-state file " + path + " is corrupt: " + state.error);
  config.state = std::move(state.value);
  return config;
}

Status SwapBootConfig(const Sysroot& sysroot, const BootConfig& current, const std::optional<boot::BootState>& next) {
  if (next) {
    std::string invalid = boot::BootStateError(*next);
    if (!invalid.empty()) return Status::InvalidArgument("new boot-state: " + invalid);
  }
  if (current.generation >= kMaxGeneration) return Status::Unsupported("boot configuration generations exhausted");
  LARCH_ASSIGN_OR_RETURN(SysrootConfig config, sysroot.ReadConfig());
  std::string name = LoaderDir(current.generation + 1);
  Status s = BuildLoaderDir(sysroot, name, next, config);
  if (s.ok()) s = Switch(sysroot, name);
  if (!s.ok()) {
    // Never in force: remove it, so a failed change leaves /boot as it was.
    if (!InForce(sysroot, name)) (void)fs::RemoveTree(sysroot.fs(), sysroot.boot_fd(), name);
    return s;
  }
  RemoveOldLoaderDirs(sysroot, name);
  return Status::Ok();
}

}  // namespace larch::deploy
