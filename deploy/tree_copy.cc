// File: deploy/tree_copy.cc
#include "deploy/tree_copy.h"

#include <unistd.h>

#include <algorithm>
#include <set>

#include "repo/file_object.h"

namespace larch::deploy {

namespace {

constexpr size_t kChunk = 64 << 10;

repo::FileHeader HeaderOf(const NodeInfo& n) {
  repo::FileHeader h;
  h.kind = S_ISLNK(n.st.st_mode) ? repo::FileKind::kSymlink : repo::FileKind::kRegular;
  h.mode = n.st.st_mode;
  h.uid = n.st.st_uid;
  h.gid = n.st.st_gid;
  h.xattrs = n.xattrs;
  h.symlink_target = n.symlink_target;
  return h;
}

// Only root can give a copy another owner; anyone else gets their own.
bool CanChown() { return ::geteuid() == 0; }

// Reads until `buf` is full or the file ends; the count read.
Result<size_t> ReadFull(fs::Fs& fs, int fd, MutableByteSpan buf) {
  size_t got = 0;
  while (got < buf.size()) {
    LARCH_ASSIGN_OR_RETURN(size_t n, fs.Read(fd, buf.subspan(got)));
    if (n == 0) break;
    got += n;
  }
  return got;
}

Status CopyRegular(fs::Fs& fs, int src_dirfd, const std::string& name, const NodeInfo& info, int dst_dirfd,
                   const std::string& dst_name) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd in, fs.OpenRead(src_dirfd, name));
  // 0600 until the final mode: nobody else reads a half-written copy.
  LARCH_ASSIGN_OR_RETURN(UniqueFd out, fs.CreateExclusive(dst_dirfd, dst_name, 0600));
  Bytes buf(kChunk);
  for (;;) {
    LARCH_ASSIGN_OR_RETURN(size_t n, fs.Read(in.get(), buf));
    if (n == 0) break;
    LARCH_RETURN_IF_ERROR(fs.Write(out.get(), ByteSpan(buf.data(), n)));
  }
  return repo::ApplyFileMetadata(fs, dst_dirfd, dst_name, out.get(), HeaderOf(info), CanChown());
}

Status CopyDir(fs::Fs& fs, int src_dirfd, const std::string& name, const NodeInfo& info, int dst_dirfd,
               const std::string& dst_name) {
  // 0700 while filling: the final mode may forbid writing into it.
  LARCH_RETURN_IF_ERROR(fs.Mkdir(dst_dirfd, dst_name, 0700));
  LARCH_ASSIGN_OR_RETURN(UniqueFd src, fs.OpenDirPath(src_dirfd, name));
  LARCH_ASSIGN_OR_RETURN(UniqueFd dst, fs.OpenDirPath(dst_dirfd, dst_name));
  LARCH_ASSIGN_OR_RETURN(std::vector<fs::DirEntry> entries, fs.ReadDir(src.get()));
  for (const fs::DirEntry& e : entries) LARCH_RETURN_IF_ERROR(CopyNode(fs, src.get(), e.name, dst.get(), e.name));
  if (CanChown()) LARCH_RETURN_IF_ERROR(fs.Chown(dst_dirfd, dst_name, info.st.st_uid, info.st.st_gid));
  LARCH_RETURN_IF_ERROR(fs.FChmod(dst.get(), info.st.st_mode & 07777));
  for (const fs::Xattr& x : info.xattrs) LARCH_RETURN_IF_ERROR(fs.SetXattr(dst.get(), "", x));
  return Status::Ok();
}

Result<bool> SameContent(fs::Fs& fs, int a_dirfd, const std::string& a_name, int b_dirfd, const std::string& b_name) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd a, fs.OpenRead(a_dirfd, a_name));
  LARCH_ASSIGN_OR_RETURN(UniqueFd b, fs.OpenRead(b_dirfd, b_name));
  Bytes abuf(kChunk), bbuf(kChunk);
  for (;;) {
    LARCH_ASSIGN_OR_RETURN(size_t an, ReadFull(fs, a.get(), abuf));
    LARCH_ASSIGN_OR_RETURN(size_t bn, ReadFull(fs, b.get(), bbuf));
    if (an != bn || !std::equal(abuf.begin(), abuf.begin() + static_cast<ptrdiff_t>(an), bbuf.begin()))
      return false;
    if (an == 0) return true;
  }
}

Result<std::set<std::string>> EntryNames(fs::Fs& fs, int dirfd, const std::string& name) {
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, fs.OpenDirPath(dirfd, name));
  LARCH_ASSIGN_OR_RETURN(std::vector<fs::DirEntry> entries, fs.ReadDir(dir.get()));
  std::set<std::string> names;
  for (const fs::DirEntry& e : entries) names.insert(e.name);
  return names;
}

Result<bool> SameChildren(fs::Fs& fs, int a_dirfd, const std::string& a_name, int b_dirfd, const std::string& b_name) {
  LARCH_ASSIGN_OR_RETURN(std::set<std::string> names, EntryNames(fs, a_dirfd, a_name));
  LARCH_ASSIGN_OR_RETURN(std::set<std::string> b_names, EntryNames(fs, b_dirfd, b_name));
  if (names != b_names) return false;
  LARCH_ASSIGN_OR_RETURN(UniqueFd a, fs.OpenDirPath(a_dirfd, a_name));
  LARCH_ASSIGN_OR_RETURN(UniqueFd b, fs.OpenDirPath(b_dirfd, b_name));
  for (const std::string& n : names) {
    LARCH_ASSIGN_OR_RETURN(bool same, SameNode(fs, a.get(), n, b.get(), n, true));
    if (!same) return false;
  }
  return true;
}

}  // namespace

Result<std::optional<NodeInfo>> ReadNode(fs::Fs& fs, int dirfd, const std::string& name) {
  Result<struct stat> st = fs.Stat(dirfd, name);
  if (!st.ok()) {
    if (st.status().IsNotFound()) return std::optional<NodeInfo>();
    return st.status();
  }
  NodeInfo n;
  n.st = *st;
  LARCH_ASSIGN_OR_RETURN(n.xattrs, fs.GetXattrs(dirfd, name));
  if (S_ISLNK(n.st.st_mode)) {
    LARCH_ASSIGN_OR_RETURN(n.symlink_target, fs.ReadLink(dirfd, name));
  }
  return std::optional<NodeInfo>(std::move(n));
}

Status CopyNode(fs::Fs& fs, int src_dirfd, const std::string& name, int dst_dirfd, const std::string& dst_name) {
  LARCH_ASSIGN_OR_RETURN(std::optional<NodeInfo> info, ReadNode(fs, src_dirfd, name));
  if (!info) return Status::NotFound("copying " + name + ": it does not exist");
  mode_t type = info->st.st_mode & S_IFMT;
  if (type == S_IFDIR) return CopyDir(fs, src_dirfd, name, *info, dst_dirfd, dst_name);
  if (type == S_IFREG) return CopyRegular(fs, src_dirfd, name, *info, dst_dirfd, dst_name);
  if (type != S_IFLNK) return Status::Unsupported(name + " is a device node, FIFO or socket; refusing to copy it");
  LARCH_RETURN_IF_ERROR(fs.Symlink(info->symlink_target, dst_dirfd, dst_name));
  return repo::ApplyFileMetadata(fs, dst_dirfd, dst_name, -1, HeaderOf(*info), CanChown());
}

Result<bool> SameNode(fs::Fs& fs, int a_dirfd, const std::string& a_name, int b_dirfd, const std::string& b_name,
                      bool deep) {
  LARCH_ASSIGN_OR_RETURN(std::optional<NodeInfo> a, ReadNode(fs, a_dirfd, a_name));
  LARCH_ASSIGN_OR_RETURN(std::optional<NodeInfo> b, ReadNode(fs, b_dirfd, b_name));
  if (!a || !b) return !a && !b;
  if (a->st.st_dev == b->st.st_dev && a->st.st_ino == b->st.st_ino) return true;
  if (a->st.st_mode != b->st.st_mode || a->st.st_uid != b->st.st_uid || a->st.st_gid != b->st.st_gid ||
      a->xattrs != b->xattrs || a->symlink_target != b->symlink_target)
    return false;
  if (S_ISREG(a->st.st_mode)) {
    if (a->st.st_size != b->st.st_size) return false;
    return SameContent(fs, a_dirfd, a_name, b_dirfd, b_name);
  }
  if (S_ISDIR(a->st.st_mode) && deep) return SameChildren(fs, a_dirfd, a_name, b_dirfd, b_name);
  return true;
}

Result<uint64_t> TreeBytes(fs::Fs& fs, int dirfd, const std::string& name) {
  LARCH_ASSIGN_OR_RETURN(struct stat st, fs.Stat(dirfd, name));
  if (S_ISREG(st.st_mode)) return static_cast<uint64_t>(st.st_size);
  if (!S_ISDIR(st.st_mode)) return uint64_t{0};
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, fs.OpenDirPath(dirfd, name));
  LARCH_ASSIGN_OR_RETURN(std::vector<fs::DirEntry> entries, fs.ReadDir(dir.get()));
  uint64_t total = 4096;
  for (const fs::DirEntry& e : entries) {
    LARCH_ASSIGN_OR_RETURN(uint64_t sub, TreeBytes(fs, dir.get(), e.name));
    total += sub;
  }
  return total;
}

}  // namespace larch::deploy
