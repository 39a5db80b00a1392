// File: deploy/boot_files.cc
#include "deploy/boot_files.h"

#include "deploy/tree_copy.h"
#include "repo/tree_lookup.h"
#include "src/crypto/sha256.h"
#include "src/fs/atomic.h"

namespace larch::deploy {

namespace {

const repo::DirTreeFile* FindFile(const repo::DirTree& tree, std::string_view name) {
  for (const repo::DirTreeFile& f : tree.files)
    if (f.name == name) return &f;
  return nullptr;
}

// The dirtree at `path`, or nullopt when the commit has no such directory.
Result<std::optional<repo::DirTree>> TreeAt(const repo::Store& store, const repo::Commit& commit,
                                            std::string_view path) {
  Result<repo::TreeNode> node = repo::LookupPath(store, commit, path);
  if (!node.ok() && node.status().IsNotFound()) return std::optional<repo::DirTree>();
  if (!node.ok()) return node.status();
  if (!node->dir) return std::optional<repo::DirTree>();
  LARCH_ASSIGN_OR_RETURN(repo::DirTree tree, store.ReadDirTree(node->dir->tree));
  return std::optional<repo::DirTree>(std::move(tree));
}

void SetKernel(KernelFiles& k, const std::string& dir, const repo::DirTreeFile& kernel,
               const repo::DirTreeFile* initramfs) {
  k.kernel_path = dir + "/" + kernel.name;
  k.kernel = kernel.file;
  k.kernel_size = kernel.size;
  if (initramfs == nullptr) return;
  k.initramfs_path = dir + "/" + initramfs->name;
  k.initramfs = initramfs->file;
  k.initramfs_size = initramfs->size;
}

Result<std::optional<KernelFiles>> FromModules(const repo::Store& store, const repo::Commit& commit) {
  LARCH_ASSIGN_OR_RETURN(std::optional<repo::DirTree> modules, TreeAt(store, commit, "/usr/lib/modules"));
  if (!modules) return std::optional<KernelFiles>();
  // Dirtree entries are sorted: walking backwards finds the last version first.
  for (auto it = modules->dirs.rbegin(); it != modules->dirs.rend(); ++it) {
    LARCH_ASSIGN_OR_RETURN(repo::DirTree dir, store.ReadDirTree(it->tree));
    const repo::DirTreeFile* kernel = FindFile(dir, "vmlinuz");
    if (kernel == nullptr) continue;
    KernelFiles k;
    k.version = it->name;
    SetKernel(k, "usr/lib/modules/" + it->name, *kernel, FindFile(dir, "initramfs.img"));
    return std::optional<KernelFiles>(std::move(k));
  }
  return std::optional<KernelFiles>();
}

Result<std::optional<KernelFiles>> FromBoot(const repo::Store& store, const repo::Commit& commit) {
  LARCH_ASSIGN_OR_RETURN(std::optional<repo::DirTree> boot, TreeAt(store, commit, "/boot"));
  if (!boot) return std::optional<KernelFiles>();
  for (auto it = boot->files.rbegin(); it != boot->files.rend(); ++it) {
    if (it->name.rfind("vmlinuz-", 0) != 0 || it->name.size() == 8) continue;
    KernelFiles k;
    k.version = it->name.substr(8);
    SetKernel(k, "boot", *it, FindFile(*boot, "initrd.img-" + k.version));
    return std::optional<KernelFiles>(std::move(k));
  }
  return std::optional<KernelFiles>();
}

// Opens the directory of a tree path ("usr/lib/modules/6.1") below `root`.
Result<UniqueFd> OpenParentDir(fs::Fs& fs, int root, const std::string& path) {
  return fs.OpenDirPath(root, path.substr(0, path.rfind('/')));
}

std::string BaseName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// A hard link where the filesystems allow it (the object is read-only
// content either way), else a copy.
Status LinkOrCopy(fs::Fs& fs, int deployment_fd, const std::string& path, int dst_fd, const std::string& name) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, OpenParentDir(fs, deployment_fd, path));
  Status s = fs.Link(dir.get(), BaseName(path), dst_fd, name);
  if (s.sys_errno() != EXDEV && s.sys_errno() != EMLINK) return s;
  return CopyNode(fs, dir.get(), BaseName(path), dst_fd, name);
}

}  // namespace

std::string KernelFiles::BootCsum() const {
  crypto::Sha256 h;
  h.Update(kernel.bytes());
  if (initramfs) h.Update(initramfs->bytes());
  return repo::ObjectId(h.Finish()).Hex();
}

std::string KernelFiles::BootDir(const std::string& os) const {
  return std::string(kBootFilesDir) + "/" + BootDirName(os);
}

Result<KernelFiles> FindKernel(const repo::Store& store, const repo::Commit& commit) {
  LARCH_ASSIGN_OR_RETURN(std::optional<KernelFiles> k, FromModules(store, commit));
  if (!k) {
    LARCH_ASSIGN_OR_RETURN(k, FromBoot(store, commit));
  }
  if (!k)
    return Status::Unsupported("the commit has no kernel: neither usr/lib/modules/<version>/vmlinuz "
                               "nor boot/vmlinuz-<version>");
  return std::move(*k);
}

Result<bool> InstallBootFiles(const Sysroot& sysroot, const std::string& os, const KernelFiles& kernel,
                        int deployment_fd) {
  fs::Fs& fs = sysroot.fs();
  LARCH_RETURN_IF_ERROR(fs::EnsureDir(fs, sysroot.boot_fd(), kBootFilesDir));
  LARCH_ASSIGN_OR_RETURN(UniqueFd larch, fs.OpenDirPath(sysroot.boot_fd(), kBootFilesDir));
  std::string final_name = kernel.BootDirName(os);
  if (fs.Stat(larch.get(), final_name).ok()) return false;  // same content, already there
  std::string tmp = fs::TempName(".tmp-");
  LARCH_RETURN_IF_ERROR(fs.Mkdir(larch.get(), tmp, 0755));
  Status s = [&]() -> Status {
    LARCH_ASSIGN_OR_RETURN(UniqueFd dir, fs.OpenDirPath(larch.get(), tmp));
    LARCH_RETURN_IF_ERROR(LinkOrCopy(fs, deployment_fd, kernel.kernel_path, dir.get(), kernel.KernelName()));
    if (kernel.initramfs)
      LARCH_RETURN_IF_ERROR(LinkOrCopy(fs, deployment_fd, kernel.initramfs_path, dir.get(), kernel.InitramfsName()));
    // Complete under the final name, or absent: never half a kernel pair.
    return fs.Rename(larch.get(), tmp, larch.get(), final_name, fs::RenameMode::kNoReplace);
  }();
  if (!s.ok()) (void)fs::RemoveTree(fs, larch.get(), tmp);
  if (s.IsAlreadyExists()) return false;
  if (!s.ok()) return s;
  return true;
}

Result<uint64_t> BootFilesCost(const Sysroot& sysroot, const std::string& os, const KernelFiles& kernel) {
  fs::Fs& fs = sysroot.fs();
  Result<UniqueFd> larch = fs.OpenDirPath(sysroot.boot_fd(), kBootFilesDir);
  if (larch.ok() && fs.Stat(larch->get(), kernel.BootDirName(os)).ok()) return uint64_t{0};
  // Same filesystem: hard links, a directory block only.
  if (sysroot.boot_shares_fs()) return uint64_t{4096};
  return kernel.kernel_size + kernel.initramfs_size + 4096;
}

}  // namespace larch::deploy
