#include "repo/checkout.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <map>

#include "repo/file_object.h"
#include "src/fs/atomic.h"

namespace larch::repo {

namespace {

// A missing object the commit names: commit, pull and delta apply write a
// commit only after every object below it, so its absence is store
// corruption (exit 4, `larch fsck` finds it), not a wrong request (exit 3).
Status MissingIsCorruption(const Store& store, const Status& s, const ObjectKey& key) {
  if (!s.IsNotFound()) return s;
  return Status::Corruption("missing object " + store.path() + "/" + Store::ObjectRelPath(key) + ": " + s.message());
}

class Checkout {
 public:
  Checkout(const Store& store, const CheckoutOptions& options, int root_fd, uint64_t total_bytes)
      : store_(store), fs_(store.fs()), options_(options), root_fd_(root_fd),
        progress_(options.progress, "checkout", total_bytes) {}

  Status Dir(const ObjectId& tree_id, int dirfd, const std::string& rel);
  Status ApplyDirMeta(int parent_fd, const std::string& name, int fd, const DirMeta& meta);
  const CheckoutStats& stats() const { return stats_; }
  ProgressCounter& progress() { return progress_; }

 private:
  Status File(const DirTreeFile& entry, int dirfd, const std::string& rel);
  Status LinkFromStore(const DirTreeFile& entry, int dirfd);
  Status CopyFromStore(const DirTreeFile& entry, int dirfd, const std::string& rel);
  Status LinkToFirst(const std::string& first, int dirfd, const std::string& name);
  Result<const DirMeta*> CachedDirMeta(const ObjectId& id);

  const Store& store_;
  fs::Fs& fs_;
  const CheckoutOptions& options_;
  int root_fd_;
  CheckoutStats stats_;
  // copy mode: (file id, link slot) -> path of its first checkout
  std::map<std::pair<ObjectId, uint32_t>, std::string> first_path_;
  // A root filesystem has thousands of directories but a handful of
  // distinct dirmetas: read each once.
  std::map<ObjectId, DirMeta> dirmetas_;
  ProgressCounter progress_;
};

Result<const DirMeta*> Checkout::CachedDirMeta(const ObjectId& id) {
  auto it = dirmetas_.find(id);
  if (it == dirmetas_.end()) {
    Result<DirMeta> meta = store_.ReadDirMeta(id);
    if (!meta.ok()) return MissingIsCorruption(store_, meta.status(), {id, ObjectType::kDirMeta});
    it = dirmetas_.emplace(id, std::move(meta).value()).first;
  }
  return &it->second;
}

std::string Join(const std::string& rel, const std::string& name) {
  return rel.empty() ? name : rel + "/" + name;
}

Status Checkout::ApplyDirMeta(int parent_fd, const std::string& name, int fd,
                              const DirMeta& meta) {
  if (options_.preserve_owner) LARCH_RETURN_IF_ERROR(fs_.Chown(parent_fd, name, meta.uid, meta.gid));
  LARCH_RETURN_IF_ERROR(fs_.FChmod(fd, meta.mode & 07777));
  for (const fs::Xattr& x : meta.xattrs) LARCH_RETURN_IF_ERROR(fs_.SetXattr(fd, "", x));
  return Status::Ok();
}

Status Checkout::LinkFromStore(const DirTreeFile& entry, int dirfd) {
  const ObjectKey key{entry.file, ObjectType::kFile};
  Status s = fs_.Link(store_.ObjectDirFd(entry.file), Store::ObjectFileName(key), dirfd, entry.name);
  if (s.sys_errno() == EXDEV)
    return Status::InvalidArgument("hard-link checkout needs the target on the store's filesystem");
  // ENOENT: the directory descriptor is ours and open, so it is the object.
  return MissingIsCorruption(store_, s, key);
}

Status Checkout::CopyFromStore(const DirTreeFile& entry, int dirfd, const std::string& rel) {
  Result<FileHeader> header = ReadFileObjectHeader(store_, entry.file);
  if (!header.ok()) return MissingIsCorruption(store_, header.status(), {entry.file, ObjectType::kFile});
  const FileHeader& h = *header;
  if (h.size != entry.size)
    return Status::Corruption(Join(rel, entry.name) + ": size in dirtree and object disagree");
  if (h.kind == FileKind::kSymlink) {
    // A symlink is all header: check it hashes to its id before using it.
    Status s = ReadFileObjectContent(store_, entry.file, h, [](ByteSpan) { return Status::Ok(); });
    if (!s.ok()) return s.WithContext("checking out " + Join(rel, entry.name));
    LARCH_RETURN_IF_ERROR(fs_.Symlink(h.symlink_target, dirfd, entry.name));
    return ApplyFileMetadata(fs_, dirfd, entry.name, -1, h, options_.preserve_owner);
  }
  LARCH_ASSIGN_OR_RETURN(UniqueFd out, fs_.CreateExclusive(dirfd, entry.name, 0600));
  int fd = out.get();
  // ReadFileObjectContent re-hashes the content: a corrupt store does not
  // spread into checkouts.
  Status s = ReadFileObjectContent(store_, entry.file, h, [&](ByteSpan chunk) {
    return fs_.Write(fd, chunk);
  });
  if (!s.ok()) return s.WithContext("checking out " + Join(rel, entry.name));
  LARCH_RETURN_IF_ERROR(ApplyFileMetadata(fs_, dirfd, entry.name, fd, h, options_.preserve_owner));
  stats_.bytes_copied += h.size;
  progress_.Add(h.size);
  return Status::Ok();
}

// Recreates a hard link of the committed tree. The first path's directories
// were made by this checkout, so opening them cannot meet a planted symlink.
Status Checkout::LinkToFirst(const std::string& first, int dirfd, const std::string& name) {
  size_t slash = first.rfind('/');
  if (slash == std::string::npos) return fs_.Link(root_fd_, first, dirfd, name);
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, fs_.OpenDirPath(root_fd_, first.substr(0, slash)));
  return fs_.Link(dir.get(), first.substr(slash + 1), dirfd, name);
}

Status Checkout::File(const DirTreeFile& entry, int dirfd, const std::string& rel) {
  ++stats_.files;
  if (options_.mode == CheckoutMode::kHardlink) {
    Status s = LinkFromStore(entry, dirfd);
    if (s.ok()) progress_.Add(entry.size);
    if (s.sys_errno() != EMLINK) return s;  // EMLINK: inode is full; copy
  } else {
    auto [it, first] = first_path_.try_emplace({entry.file, entry.link_slot}, Join(rel, entry.name));
    if (!first) {
      ++stats_.hardlinks;
      return LinkToFirst(it->second, dirfd, entry.name);
    }
  }
  return CopyFromStore(entry, dirfd, rel);
}

Status Checkout::Dir(const ObjectId& tree_id, int dirfd, const std::string& rel) {
  ++stats_.dirs;
  Result<DirTree> read = store_.ReadDirTree(tree_id);
  if (!read.ok()) return MissingIsCorruption(store_, read.status(), {tree_id, ObjectType::kDirTree});
  const DirTree& tree = *read;
  for (const DirTreeFile& f : tree.files) LARCH_RETURN_IF_ERROR(File(f, dirfd, rel));
  for (const DirTreeDir& d : tree.dirs) {
    // 0700 while filling: the final mode may forbid writing into it.
    LARCH_RETURN_IF_ERROR(fs_.Mkdir(dirfd, d.name, 0700));
    LARCH_ASSIGN_OR_RETURN(UniqueFd sub, fs_.OpenDirPath(dirfd, d.name));
    LARCH_RETURN_IF_ERROR(Dir(d.tree, sub.get(), Join(rel, d.name)));
    LARCH_ASSIGN_OR_RETURN(const DirMeta* meta, CachedDirMeta(d.meta));
    LARCH_RETURN_IF_ERROR(ApplyDirMeta(dirfd, d.name, sub.get(), *meta));
  }
  return Status::Ok();
}

struct Target {
  UniqueFd parent;
  std::string name;
  bool exists_empty = false;
};

Result<Target> PrepareTarget(fs::Fs& fs, const std::string& target) {
  LARCH_ASSIGN_OR_RETURN(fs::ParentAndName where, fs::OpenParentOf(fs, target));
  Target t;
  t.parent = std::move(where.parent);
  t.name = std::move(where.name);
  Result<struct stat> st = fs.Stat(t.parent.get(), t.name);
  if (!st.ok()) {
    if (st.status().IsNotFound()) return t;
    return st.status();
  }
  if (S_ISLNK(st->st_mode))
    return Status::AlreadyExists("checkout target " + target + " is a symlink; refusing to write through it");
  if (!S_ISDIR(st->st_mode))
    return Status::AlreadyExists("checkout target " + target + " exists and is not a directory");
  LARCH_ASSIGN_OR_RETURN(UniqueFd existing, fs.OpenDirPath(t.parent.get(), t.name));
  LARCH_ASSIGN_OR_RETURN(auto entries, fs.ReadDir(existing.get()));
  if (!entries.empty())
    return Status::AlreadyExists("checkout target " + target + " is not empty");
  t.exists_empty = true;
  return t;
}

// The commit's own record of its content size (written by commit, signed
// with it): a total known before the first file, without walking the tree.
uint64_t ContentSize(const Commit& commit) {
  auto it = commit.metadata.find("content-size");
  uint64_t size = 0;
  if (it != commit.metadata.end()) std::from_chars(it->second.data(), it->second.data() + it->second.size(), size);
  return size;
}

}  // namespace

Result<CheckoutStats> CheckoutCommit(const Store& store, const ObjectId& commit_id,
                                     const std::string& target, const CheckoutOptions& options) {
  if (options.mode == CheckoutMode::kHardlink && store.mode() != StoreMode::kBare)
    return Status::InvalidArgument("hard-link checkout needs a bare store; " + store.path() +
                                   " is an archive store (use --mode copy)");
  fs::Fs& fs = store.fs();
  LARCH_ASSIGN_OR_RETURN(Commit commit, store.ReadCommit(commit_id));
  Result<DirMeta> root_meta = store.ReadDirMeta(commit.root_meta);
  if (!root_meta.ok()) return MissingIsCorruption(store, root_meta.status(), {commit.root_meta, ObjectType::kDirMeta});
  LARCH_ASSIGN_OR_RETURN(Target t, PrepareTarget(fs, target));
  std::string tmp = fs::TempName("." + t.name + ".tmp-");
  LARCH_RETURN_IF_ERROR(fs.Mkdir(t.parent.get(), tmp, 0700));
  LARCH_ASSIGN_OR_RETURN(UniqueFd root, fs.OpenDirPath(t.parent.get(), tmp));
  Checkout co(store, options, root.get(), ContentSize(commit));
  Status s = co.Dir(commit.root_tree, root.get(), "");
  co.progress().Finish();
  if (s.ok()) s = co.ApplyDirMeta(t.parent.get(), tmp, root.get(), *root_meta);
  // The tree must be durable before its final name appears.
  if (s.ok() && options.sync) s = fs.SyncFs(root.get());
  if (s.ok()) {
    s = fs.Rename(t.parent.get(), tmp, t.parent.get(), t.name,
                  t.exists_empty ? fs::RenameMode::kReplace : fs::RenameMode::kNoReplace);
    if (s.IsAlreadyExists()) s = Status::AlreadyExists("checkout target " + target + " appeared meanwhile");
  }
  if (s.ok() && options.sync) s = fs.Fsync(t.parent.get());  // the rename itself
  if (!s.ok()) {
    (void)fs::RemoveTree(fs, t.parent.get(), tmp);
    return s;
  }
  return co.stats();
}

}  // namespace larch::repo
