#include "repo/transaction.h"

#include "repo/refs.h"
#include "repo/verity_seal.h"
#include "src/base/parallel.h"
#include "src/fs/atomic.h"

#include <atomic>

namespace larch::repo {

namespace {
constexpr std::string_view kStagingPrefix = "txn-";

bool IsCommitType(ObjectType type) {
  return type == ObjectType::kCommit || type == ObjectType::kCommitMeta;
}

// Staging directories left behind by crashed transactions are garbage.
Status RemoveStaleStaging(Store& store) {
  fs::Fs& fs = store.fs();
  LARCH_ASSIGN_OR_RETURN(auto entries, fs.ReadDir(store.tmp_fd()));
  for (const auto& e : entries) {
    if (e.name.rfind(kStagingPrefix, 0) == 0)
      LARCH_RETURN_IF_ERROR(fs::RemoveTree(fs, store.tmp_fd(), e.name));
  }
  return Status::Ok();
}
}  // namespace

Result<std::unique_ptr<Transaction>> Transaction::Begin(Store& store) {
  std::unique_ptr<Transaction> txn(new Transaction(store));
  LARCH_ASSIGN_OR_RETURN(txn->lock_, store.LockExclusive());
  LARCH_RETURN_IF_ERROR(RemoveStaleStaging(store));
  fs::Fs& fs = store.fs();
  txn->staging_name_ = fs::TempName(std::string(kStagingPrefix));
  LARCH_RETURN_IF_ERROR(fs.Mkdir(store.tmp_fd(), txn->staging_name_, 0700));
  LARCH_ASSIGN_OR_RETURN(txn->staging_, fs.OpenDirPath(store.tmp_fd(), txn->staging_name_));
  return txn;
}

Transaction::~Transaction() {
  if (!done_) Abort();
}

size_t Transaction::StagingIndex(const ObjectKey& key) { return key.id.array()[0] >> 4; }

Result<int> Transaction::StagingDirFd(const ObjectKey& key) {
  size_t index = StagingIndex(key);
  std::lock_guard<std::mutex> lock(mu_);
  UniqueFd& dir = staging_dirs_[index];
  if (!dir.valid()) {
    fs::Fs& fs = store_->fs();
    std::string name(1, "0123456789abcdef"[index]);
    LARCH_RETURN_IF_ERROR(fs.Mkdir(staging_.get(), name, 0700));
    LARCH_ASSIGN_OR_RETURN(dir, fs.OpenDirPath(staging_.get(), name));
  }
  return dir.get();
}

std::string Transaction::StagedName(const ObjectKey& key) {
  return key.id.Hex() + "." + std::string(ObjectTypeName(key.type));
}

Result<bool> Transaction::Claim(const ObjectKey& key) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (claimed_.contains(key)) return false;
  }
  LARCH_ASSIGN_OR_RETURN(bool present, store_->HasObject(key));
  if (present) return false;
  std::lock_guard<std::mutex> lock(mu_);
  return claimed_.insert(key).second;
}

Status Transaction::ClaimReplacement(const ObjectKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!claimed_.insert(key).second) return Status::AlreadyExists(Store::ObjectRelPath(key) + " is staged already");
  replacing_.insert(key);
  return Status::Ok();
}

Result<ObjectId> Transaction::WriteMetadata(ObjectType type, const Bytes& encoded) {
  ObjectKey key{ObjectId::HashOf(encoded), type};
  LARCH_ASSIGN_OR_RETURN(bool fresh, Claim(key));
  if (!fresh) return key.id;
  fs::Fs& fs = store_->fs();
  LARCH_ASSIGN_OR_RETURN(int dir, StagingDirFd(key));
  LARCH_ASSIGN_OR_RETURN(UniqueFd fd, fs.CreateExclusive(dir, StagedName(key), 0644));
  LARCH_RETURN_IF_ERROR(fs.Write(fd.get(), encoded));
  return key.id;
}

Status Transaction::WriteCommitMeta(const ObjectId& commit, const Bytes& encoded) {
  ObjectKey key{commit, ObjectType::kCommitMeta};
  fs::Fs& fs = store_->fs();
  LARCH_ASSIGN_OR_RETURN(int dir, StagingDirFd(key));
  bool restaged;
  {
    std::lock_guard<std::mutex> lock(mu_);
    restaged = !claimed_.insert(key).second;
  }
  if (restaged) LARCH_RETURN_IF_ERROR(fs.Unlink(dir, StagedName(key)));
  LARCH_ASSIGN_OR_RETURN(UniqueFd fd, fs.CreateExclusive(dir, StagedName(key), 0644));
  return fs.Write(fd.get(), encoded);
}

void Transaction::SetRef(const std::string& name, const ObjectId& commit) {
  refs_[name] = commit;
}

size_t Transaction::staged_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return claimed_.size();
}

Status Transaction::PublishObjects(bool commits) {
  fs::Fs& fs = store_->fs();
  for (const ObjectKey& key : claimed_) {
    if (IsCommitType(key.type) != commits) continue;
    // commitmeta is the one mutable object: it replaces an older one; and a
    // repair replaces a damaged object (ClaimReplacement).
    fs::RenameMode mode = key.type == ObjectType::kCommitMeta || replacing_.contains(key)
                              ? fs::RenameMode::kReplace
                              : fs::RenameMode::kNoReplace;
    Status s = fs.Rename(staging_dirs_[StagingIndex(key)].get(), StagedName(key), store_->ObjectDirFd(key.id),
                         Store::ObjectFileName(key), mode);
    if (s.IsAlreadyExists()) continue;  // same name, same content: already there
    LARCH_RETURN_IF_ERROR(s.WithContext("publishing " + Store::ObjectRelPath(key)));
  }
  // One syncfs makes every rename above durable: far cheaper than fsyncing
  // up to 256 fan-out directories, and it must precede what names them.
  return fs.SyncFs(store_->root_fd());
}

Result<Bytes> Transaction::ReadStagedOrStored(const ObjectKey& key) const {
  if (claimed_.contains(key)) {
    LARCH_ASSIGN_OR_RETURN(Bytes bytes, fs::ReadFileFully(store_->fs(), staging_dirs_[StagingIndex(key)].get(),
                                                          StagedName(key)));
    if (ObjectId::HashOf(bytes) != key.id)
      return Status::Corruption("staged " + Store::ObjectRelPath(key) + " does not match its id");
    return bytes;
  }
  return store_->ReadMetadataBytes(key);
}

// The digests of the verity lists of the commits this transaction stages:
// what the kernel must report for each file object it seals.
Result<VerityDigests> Transaction::StagedVerityDigests() const {
  VerityDigests digests;
  for (const ObjectKey& key : claimed_) {
    if (key.type != ObjectType::kCommit) continue;
    LARCH_ASSIGN_OR_RETURN(Bytes bytes, ReadStagedOrStored(key));
    LARCH_ASSIGN_OR_RETURN(repo::Commit commit, DecodeCommit(bytes));
    LARCH_ASSIGN_OR_RETURN(std::optional<ObjectId> list_id, VerityListOf(commit));
    if (!list_id) continue;
    LARCH_ASSIGN_OR_RETURN(Bytes list_bytes, ReadStagedOrStored({*list_id, ObjectType::kVerityList}));
    LARCH_ASSIGN_OR_RETURN(VerityList list, DecodeVerityList(list_bytes));
    AddVerityDigests(list, digests);
  }
  return digests;
}

// Seals every staged file object (docs/verity.md) before the syncfs that
// makes the staged bytes durable, so a seal is on disk with its file. Under
// `opportunistic` the first file the filesystem cannot seal ends the
// attempts; under `required` it refuses the transaction. A digest other
// than the commit's list gives refuses it either way: nothing is published.
Status Transaction::SealStaged() {
  if (store_->mode() != StoreMode::kBare || store_->verity_mode() == VerityMode::kOff) return Status::Ok();
  LARCH_ASSIGN_OR_RETURN(VerityDigests digests, StagedVerityDigests());
  std::vector<const ObjectKey*> files;
  for (const ObjectKey& key : claimed_)
    if (key.type == ObjectType::kFile) files.push_back(&key);
  std::atomic<bool> unsupported{false};
  Status s = ParallelFor(files.size(), [&](size_t i) -> Status {
    if (unsupported.load(std::memory_order_relaxed)) return Status::Ok();
    const ObjectKey& key = *files[i];
    auto it = digests.find(key.id);
    Status sealed = SealFile(store_->fs(), staging_dirs_[StagingIndex(key)].get(), StagedName(key),
                             it == digests.end() ? nullptr : &it->second, Store::ObjectRelPath(key));
    if (sealed.code() != StatusCode::kUnsupported) return sealed;
    if (store_->verity_mode() == VerityMode::kRequired)
      return Status::Unsupported(store_->path() + " has verity=required, but " + sealed.message() +
                                 " (ext4: tune2fs -O verity on the unmounted filesystem)");
    unsupported.store(true, std::memory_order_relaxed);
    return Status::Ok();
  });
  return s;
}

Status Transaction::Commit() {
  fs::Fs& fs = store_->fs();
  LARCH_RETURN_IF_ERROR(SealStaged());
  // Staged bytes must be on disk before any object becomes visible.
  LARCH_RETURN_IF_ERROR(fs.SyncFs(staging_.get()));
  LARCH_RETURN_IF_ERROR(PublishObjects(false));
  LARCH_RETURN_IF_ERROR(PublishObjects(true));
  if (before_refs_) LARCH_RETURN_IF_ERROR(before_refs_());
  for (const auto& [name, id] : refs_) LARCH_RETURN_IF_ERROR(WriteRef(*store_, name, id));
  done_ = true;
  // Best effort: a leftover staging directory is garbage for the next one.
  (void)fs::RemoveTree(fs, store_->tmp_fd(), staging_name_);
  return Status::Ok();
}

void Transaction::Abort() {
  done_ = true;
  if (!staging_name_.empty()) (void)fs::RemoveTree(store_->fs(), store_->tmp_fd(), staging_name_);
}

}  // namespace larch::repo
