// File: deploy/free_space.cc
#include "deploy/free_space.h"

#include <sys/statvfs.h>

#include "src/base/text_format.h"

namespace larch::deploy {

namespace {

constexpr uint64_t kBlock = 4096;

uint64_t RoundUp(uint64_t bytes) { return (bytes + kBlock - 1) / kBlock * kBlock; }

bool UnderEtc(const std::string& path) { return path == "/etc" || path == "/usr/etc"; }

Status Walk(const repo::Store& store, const repo::ObjectId& tree_id, const std::string& path, bool in_etc,
            uint64_t& bytes) {
  LARCH_ASSIGN_OR_RETURN(repo::DirTree tree, store.ReadDirTree(tree_id));
  bytes += kBlock;
  if (in_etc)
    for (const repo::DirTreeFile& f : tree.files) bytes += RoundUp(f.size);
  for (const repo::DirTreeDir& d : tree.dirs) {
    std::string sub = path + "/" + d.name;
    LARCH_RETURN_IF_ERROR(Walk(store, d.tree, sub, in_etc || UnderEtc(sub), bytes));
  }
  return Status::Ok();
}

}  // namespace

Result<uint64_t> EstimateDeploymentBytes(const repo::Store& store, const repo::Commit& commit) {
  uint64_t bytes = 0;
  LARCH_RETURN_IF_ERROR(Walk(store, commit.root_tree, "", false, bytes));
  return bytes;
}

Status CheckFreeSpace(const Sysroot& sysroot, const SysrootConfig& config, uint64_t needed) {
  LARCH_ASSIGN_OR_RETURN(uint64_t free, sysroot.fs().FreeSpace(sysroot.ostree_fd()));
  struct statvfs vfs;
  if (::fstatvfs(sysroot.ostree_fd(), &vfs) != 0) return Status::FromErrno(errno, "statvfs of " + sysroot.path());
  uint64_t keep = MinFreeBytes(config, static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize);
  if (free >= needed && free - needed >= keep) return Status::Ok();
  return Status::NoSpace("not enough space in " + sysroot.path() + ": the deployment needs about " + FormatMib(needed) +
                         ", " + FormatMib(free) + " is free, and min-free-space (ostree/larch.conf) keeps " + FormatMib(keep) +
                         " free");
}

}  // namespace larch::deploy
