#include "repo/verity_seal.h"

#include <sys/stat.h>

#include <atomic>

#include "repo/file_object.h"
#include "repo/reachability.h"
#include "src/base/hex.h"
#include "src/base/parallel.h"
#include "src/fs/atomic.h"

namespace larch::repo {

namespace {

// The kernel's digest of the open file `fd` against `expected`.
Status CompareSeal(fs::Fs& fs, int fd, const crypto::FsVerityDigest* expected, const std::string& what,
                   bool* sealed) {
  LARCH_ASSIGN_OR_RETURN(std::optional<fs::VerityDigest> measured, fs.MeasureVerity(fd));
  *sealed = measured.has_value();
  if (measured && expected && *measured != *expected) return SealMismatch(what, *measured, *expected);
  return Status::Ok();
}

}  // namespace

Status SealMismatch(const std::string& what, const fs::VerityDigest& sealed, const crypto::FsVerityDigest& expected) {
  return Status::Corruption(what + ": sealed with fs-verity digest " + HexDigest(sealed) +
                            ", but the signed verity list gives " + HexDigest(expected));
}

Result<std::optional<fs::VerityDigest>> MeasureFileObject(const Store& store, const ObjectId& id) {
  if (store.mode() != StoreMode::kBare) return std::optional<fs::VerityDigest>();
  fs::Fs& fs = store.fs();
  const std::string name = Store::ObjectFileName({id, ObjectType::kFile});
  Result<struct stat> st = fs.Stat(store.ObjectDirFd(id), name);
  if (!st.ok() || !S_ISREG(st->st_mode)) return std::optional<fs::VerityDigest>();
  LARCH_ASSIGN_OR_RETURN(UniqueFd fd, fs.OpenRead(store.ObjectDirFd(id), name));
  return fs.MeasureVerity(fd.get());
}

void AddVerityDigests(const VerityList& list, VerityDigests& into) {
  for (const VerityEntry& e : list.entries) into.emplace(e.file, e.digest);
}

std::string HexDigest(const crypto::FsVerityDigest& digest) { return HexEncode(ByteSpan(digest.data(), digest.size())); }

Status SealFile(fs::Fs& fs, int dirfd, const std::string& name, const crypto::FsVerityDigest* expected,
                const std::string& what) {
  LARCH_ASSIGN_OR_RETURN(struct stat st, fs.Stat(dirfd, name));
  if (!S_ISREG(st.st_mode)) return Status::Ok();
  LARCH_ASSIGN_OR_RETURN(UniqueFd fd, fs.OpenRead(dirfd, name));
  bool sealed = false;
  LARCH_RETURN_IF_ERROR(CompareSeal(fs, fd.get(), expected, what, &sealed));
  if (sealed) return Status::Ok();
  Status enabled = fs.EnableVerity(fd.get());
  if (!enabled.ok()) return enabled.WithContext("sealing " + what);
  LARCH_RETURN_IF_ERROR(CompareSeal(fs, fd.get(), expected, what, &sealed));
  if (!sealed) return Status::Corruption(what + ": the kernel sealed it but reports no fs-verity digest");
  return Status::Ok();
}

Status CheckFileObject(const Store& store, const ObjectId& id, const crypto::FsVerityDigest* expected,
                       bool skip_linked, std::atomic<bool>* filesystem_seals) {
  const ObjectKey key{id, ObjectType::kFile};
  const std::string what = store.path() + "/" + Store::ObjectRelPath(key);
  fs::Fs& fs = store.fs();
  int dirfd = store.ObjectDirFd(id);
  const std::string name = Store::ObjectFileName(key);
  if (store.mode() == StoreMode::kBare) {
    Result<struct stat> st = fs.Stat(dirfd, name);
    if (st.ok() && S_ISREG(st->st_mode)) {
      // Once a seal was refused as unsupported, no object of this
      // filesystem is sealed: nothing to measure or try.
      const bool may_seal = filesystem_seals == nullptr || filesystem_seals->load(std::memory_order_relaxed);
      bool sealed = false;
      if (may_seal) {
        LARCH_ASSIGN_OR_RETURN(UniqueFd fd, fs.OpenRead(dirfd, name));
        LARCH_RETURN_IF_ERROR(CompareSeal(fs, fd.get(), expected, what, &sealed));
        if (sealed && expected) return Status::Ok();
      }  // the descriptor is closed here: sealing wants no other one open
      if (may_seal && !sealed && store.verity_mode() != VerityMode::kOff) {
        Status s = SealFile(fs, dirfd, name, expected, what);
        if (s.ok() && expected) return Status::Ok();
        if (s.code() == StatusCode::kUnsupported) {
          if (store.verity_mode() == VerityMode::kRequired) return s.WithContext("verity=required");
          if (filesystem_seals != nullptr) filesystem_seals->store(false, std::memory_order_relaxed);
        } else if (!s.ok()) {
          return s;
        }
      }
      if (!sealed && skip_linked && st->st_nlink > 1) return Status::Ok();
    }
  }
  return VerifyFileObject(store, id);
}

Status CheckCommitFiles(const Store& store, const ObjectId& commit_id, unsigned threads, bool skip_linked) {
  LARCH_ASSIGN_OR_RETURN(Commit commit, store.ReadCommit(commit_id));
  LARCH_ASSIGN_OR_RETURN(VerityDigests digests, CommitVerityDigests(store, commit_id));
  std::map<ObjectId, std::string> files;  // id -> first path met
  LARCH_RETURN_IF_ERROR(WalkCommitTree(store, commit, [&](const ObjectKey& key, const std::string& path) {
    if (key.type == ObjectType::kFile) files.emplace(key.id, path);
    return true;
  }));
  std::atomic<bool> filesystem_seals{true};
  std::vector<const std::pair<const ObjectId, std::string>*> order;
  for (const auto& f : files) order.push_back(&f);
  return ParallelFor(order.size(), [&](size_t i) {
    const auto& [id, path] = *order[i];
    auto it = digests.find(id);
    Status s = CheckFileObject(store, id, it == digests.end() ? nullptr : &it->second, skip_linked, &filesystem_seals);
    if (s.IsNotFound())
      s = Status::Corruption("missing object " + store.path() + "/" + Store::ObjectRelPath({id, ObjectType::kFile}));
    return s.WithContext("/" + path);
  }, threads);
}

Result<bool> StoreCanSeal(const Store& store) {
  fs::Fs& fs = store.fs();
  const std::string name = fs::TempName("verity-probe-");
  Status s;
  {
    LARCH_ASSIGN_OR_RETURN(UniqueFd out, fs.CreateExclusive(store.tmp_fd(), name, 0600));
    const uint8_t byte = 0;
    s = fs.Write(out.get(), ByteSpan(&byte, 1));
  }
  if (s.ok()) {
    Result<UniqueFd> in = fs.OpenRead(store.tmp_fd(), name);
    s = in.ok() ? fs.EnableVerity(in->get()) : in.status();
  }
  (void)fs.Unlink(store.tmp_fd(), name);
  if (s.code() == StatusCode::kUnsupported) return false;
  LARCH_RETURN_IF_ERROR(s.WithContext("trying fs-verity in " + store.path() + "/tmp"));
  return true;
}

Result<VerityDigests> CommitVerityDigests(const Store& store, const ObjectId& commit_id) {
  VerityDigests digests;
  LARCH_ASSIGN_OR_RETURN(Commit commit, store.ReadCommit(commit_id));
  LARCH_ASSIGN_OR_RETURN(std::optional<ObjectId> list_id, VerityListOf(commit));
  if (!list_id) return digests;
  LARCH_ASSIGN_OR_RETURN(VerityList list, store.ReadVerityList(*list_id));
  AddVerityDigests(list, digests);
  return digests;
}

}  // namespace larch::repo
