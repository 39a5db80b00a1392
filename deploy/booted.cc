// File: deploy/booted.cc
#include "deploy/booted.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdlib>

#include "src/fs/atomic.h"

namespace larch::deploy {

namespace {

Result<std::string> ReadCmdline(fs::Fs& fs, const std::string& file) {
  LARCH_ASSIGN_OR_RETURN(fs::ParentAndName where, fs::OpenParentOf(fs, file));
  LARCH_ASSIGN_OR_RETURN(Bytes text, fs::ReadFileFully(fs, where.parent.get(), where.name, 64 << 10));
  return std::string(AsStringView(text));
}

// The deployment in `os`'s deploy directory with this identity, if any.
// Names that are not deployments (".origin" files, leftovers) are skipped.
Result<std::optional<boot::DeploymentId>> FindInOs(const Sysroot& sysroot, const std::string& os, dev_t dev,
                                                   ino_t ino) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, sysroot.OpenDeployDir(os));
  LARCH_ASSIGN_OR_RETURN(std::vector<fs::DirEntry> entries, sysroot.fs().ReadDir(dir.get()));
  for (const fs::DirEntry& e : entries) {
    std::optional<boot::DeploymentId> id = boot::ParseDeploymentName(os, e.name);
    if (!id) continue;
    Result<struct stat> st = sysroot.fs().Stat(dir.get(), e.name);
    if (!st.ok()) continue;  // removed meanwhile: not the running one
    if (S_ISDIR(st->st_mode) && st->st_dev == dev && st->st_ino == ino) return id;
  }
  return std::optional<boot::DeploymentId>();
}

}  // namespace

Result<std::optional<boot::DeploymentId>> ReadBootedDeployment(fs::Fs& fs, const std::string& cmdline_file) {
  std::string text;
  const char* env = std::getenv(kCmdlineEnv);
  if (!cmdline_file.empty()) {
    LARCH_ASSIGN_OR_RETURN(text, ReadCmdline(fs, cmdline_file).WithContext("kernel command line"));
  } else if (env != nullptr) {
    text = env;
  } else {
    LARCH_ASSIGN_OR_RETURN(text, ReadCmdline(fs, "/proc/cmdline").WithContext("kernel command line"));
  }
  boot::Decoded<boot::DeploymentId> d = boot::DeploymentFromCmdline(text);
  if (!d.error.empty()) return Status::InvalidArgument("kernel command line: " + d.error);
  return d.value;
}

Result<std::optional<boot::DeploymentId>> DeploymentWithIdentity(const Sysroot& sysroot, dev_t dev, ino_t ino) {
  LARCH_ASSIGN_OR_RETURN(std::vector<std::string> oses, sysroot.ListOses());
  for (const std::string& os : oses) {
    LARCH_ASSIGN_OR_RETURN(std::optional<boot::DeploymentId> id, FindInOs(sysroot, os, dev, ino));
    if (id) return id;
  }
  return std::optional<boot::DeploymentId>();
}

Result<std::optional<boot::DeploymentId>> FindRunningDeployment(const Sysroot& sysroot, bool sysroot_is_root) {
  Result<struct stat> root = Status::NotFound("/");
  if (Result<UniqueFd> dir = sysroot.fs().OpenDirPath(AT_FDCWD, "/"); dir.ok()) root = sysroot.fs().FStat(dir->get());
  if (root.ok()) {
    LARCH_ASSIGN_OR_RETURN(std::optional<boot::DeploymentId> id,
                           DeploymentWithIdentity(sysroot, root->st_dev, root->st_ino));
    if (id) return id;
  }
  if (!sysroot_is_root) return std::optional<boot::DeploymentId>();
  return ReadBootedDeployment(sysroot.fs(), "");
}

}  // namespace larch::deploy
