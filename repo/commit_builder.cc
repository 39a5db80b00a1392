#include "repo/commit_builder.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <algorithm>
#include <map>
#include <memory>
#include <random>

#include "repo/file_object.h"
#include "repo/objects/commit.h"
#include "repo/objects/dirtree.h"
#include "repo/objects/file_header.h"
#include "repo/objects/verity_list.h"
#include "repo/refs.h"
#include "repo/transaction.h"
#include "repo/tree_scan.h"
#include "src/base/parallel.h"
#include "src/base/units.h"
#include "src/crypto/fsverity_digest.h"
#include "src/crypto/sha256.h"
#include "src/fs/atomic.h"

namespace larch::repo {

namespace {

// Files up to this size are read once: hashed, then compressed from memory.
constexpr uint64_t kInMemoryLimit = 1u << 20;
// Files of one directory are hashed in batches of this many per task, so a
// task opens its directory once and two threads still balance.
constexpr size_t kBatch = 32;

struct FileJob {
  const ScannedDir* dir;
  size_t first;
  size_t count;
};

// One entry per scanned file, in scan order; filled by the workers.
struct FileResult {
  ObjectId id;
  uint64_t size = 0;
  std::optional<crypto::FsVerityDigest> verity;  // regular files, with options.verity_list
};

class Builder {
 public:
  Builder(Transaction& txn, int root_fd, const CommitOptions& options)
      : txn_(txn), store_(txn.store()), fs_(store_.fs()), root_fd_(root_fd), options_(options) {}

  Result<CommitStats> Run(ScanResult scan);
  // Sum of the sizes of the files to hash (each inode once).
  uint64_t ContentBytes() const;

 private:
  void Index(const ScannedDir& dir);
  Status MaybeTrainDictionary(const ScannedDir& root);
  Status CollectSamples(const ScannedDir& dir, size_t stride, size_t& seen,
                        std::vector<Bytes>& samples);
  Status HashBatch(const FileJob& job);
  Status HashOne(int dirfd, const ScannedDir& dir, size_t index);
  Result<FileHeader> HeaderFor(int dirfd, const ScannedFile& f);
  void AssignLinkSlots();
  Result<std::pair<ObjectId, ObjectId>> WriteTrees(const ScannedDir& dir);
  Result<ObjectId> WriteVerityList();
  Result<ObjectId> WriteCommit(const ObjectId& tree, const ObjectId& meta, CommitStats& stats);

  Transaction& txn_;
  Store& store_;
  fs::Fs& fs_;
  int root_fd_;
  const CommitOptions& options_;
  std::vector<FileJob> jobs_;
  std::map<const ScannedFile*, size_t> index_;  // scan order position
  std::vector<const ScannedFile*> order_;
  std::vector<FileResult> results_;
  std::vector<uint32_t> slots_;
  // First occurrence (scan position) of each multiply-linked inode.
  std::map<std::pair<dev_t, ino_t>, size_t> inode_first_;
  std::vector<size_t> alias_of_;  // == own position unless a later hard link
  uint64_t dirs_ = 0;
  std::unique_ptr<ProgressCounter> progress_;
};

void Builder::Index(const ScannedDir& dir) {
  ++dirs_;
  for (size_t i = 0; i < dir.files.size(); i += kBatch)
    jobs_.push_back({&dir, i, std::min(kBatch, dir.files.size() - i)});
  for (const ScannedFile& f : dir.files) {
    size_t pos = order_.size();
    order_.push_back(&f);
    index_[&f] = pos;
    size_t alias = pos;
    if (f.st.st_nlink > 1 && S_ISREG(f.st.st_mode)) {
      auto [it, inserted] = inode_first_.try_emplace({f.st.st_dev, f.st.st_ino}, pos);
      if (!inserted) alias = it->second;
    }
    alias_of_.push_back(alias);
  }
  for (const auto& sub : dir.dirs) Index(*sub);
}

// Dictionary training input: small regular files, every stride-th one, up
// to kSampleBudget bytes in all.
constexpr uint64_t kSampleMax = 64 << 10;
constexpr uint64_t kSampleBudget = 16 << 20;
constexpr uint64_t kMaxDictionarySize = 1 << 20;
constexpr uint64_t kMinDictionarySize = 4 << 10;

bool IsSample(const ScannedFile& f) {
  return S_ISREG(f.st.st_mode) && f.st.st_size > 0 &&
         static_cast<uint64_t>(f.st.st_size) <= kSampleMax;
}

Status Builder::CollectSamples(const ScannedDir& dir, size_t stride, size_t& seen,
                               std::vector<Bytes>& samples) {
  UniqueFd dirfd;
  for (const ScannedFile& f : dir.files) {
    if (!IsSample(f) || seen++ % stride != 0) continue;
    if (!dirfd.valid()) {
      LARCH_ASSIGN_OR_RETURN(dirfd, fs_.OpenDirPath(root_fd_, dir.rel_path.empty() ? "." : dir.rel_path));
    }
    LARCH_ASSIGN_OR_RETURN(Bytes data, fs::ReadFileFully(fs_, dirfd.get(), f.name, kSampleMax));
    samples.push_back(std::move(data));
  }
  for (const auto& sub : dir.dirs) LARCH_RETURN_IF_ERROR(CollectSamples(*sub, stride, seen, samples));
  return Status::Ok();
}

Status Builder::MaybeTrainDictionary(const ScannedDir& root) {
  if (store_.mode() != StoreMode::kArchive || store_.compress_dictionary() != nullptr)
    return Status::Ok();
  size_t count = 0;
  uint64_t bytes = 0;
  for (const ScannedFile* f : order_) {
    if (!IsSample(*f)) continue;
    ++count;
    bytes += static_cast<uint64_t>(f->st.st_size);
  }
  if (count < options_.dictionary_min_samples || bytes < options_.dictionary_min_bytes)
    return Status::Ok();
  size_t stride = static_cast<size_t>((bytes + kSampleBudget - 1) / kSampleBudget);
  std::vector<Bytes> samples;
  size_t seen = 0;
  LARCH_RETURN_IF_ERROR(CollectSamples(root, stride, seen, samples));
  std::random_device random;
  uint32_t id = compress::kMinDictionaryId +
                random() % (compress::kMaxDictionaryId - compress::kMinDictionaryId);
  uint64_t sampled = 0;
  for (const Bytes& sample : samples) sampled += sample.size();
  // zstd's guidance: a dictionary of about 1/16 to 1/100 of its samples.
  size_t size = static_cast<size_t>(std::clamp(sampled / 16, kMinDictionarySize, kMaxDictionarySize));
  Result<Bytes> dict = compress::TrainDictionary(samples, size, id, store_.config().compression_level);
  // Samples zstd cannot learn from are no reason to refuse the commit: the
  // objects are then compressed without a dictionary, as before.
  if (!dict.ok()) return Status::Ok();
  return store_.InstallDictionary(std::move(dict).value());
}

// Reads fd from offset 0 on, for a digest that pulls the content.
crypto::ContentReader ReaderAt(fs::Fs& fs, int fd) {
  return [&fs, fd, offset = uint64_t{0}](MutableByteSpan out) mutable -> Result<size_t> {
    LARCH_ASSIGN_OR_RETURN(size_t n, fs.ReadAt(fd, out, offset));
    offset += n;
    return n;
  };
}

Result<FileHeader> Builder::HeaderFor(int dirfd, const ScannedFile& f) {
  FileHeader h;
  h.mode = f.st.st_mode;
  h.uid = f.st.st_uid;
  h.gid = f.st.st_gid;
  if (S_ISLNK(f.st.st_mode)) {
    h.kind = FileKind::kSymlink;
    LARCH_ASSIGN_OR_RETURN(h.symlink_target, fs_.ReadLink(dirfd, f.name));
  } else {
    h.kind = FileKind::kRegular;
    h.size = static_cast<uint64_t>(f.st.st_size);
  }
  LARCH_ASSIGN_OR_RETURN(h.xattrs, fs_.GetXattrs(dirfd, f.name));
  return h;
}

Status Builder::HashOne(int dirfd, const ScannedDir& dir, size_t index) {
  const ScannedFile& f = dir.files[index];
  size_t pos = index_.at(&f);
  if (alias_of_[pos] != pos) return Status::Ok();  // hashed with its first link
  LARCH_ASSIGN_OR_RETURN(FileHeader header, HeaderFor(dirfd, f));
  Status valid = ValidateFileHeader(header);
  if (!valid.ok()) return valid.WithContext(DisplayPath(dir.rel_path, f.name));
  crypto::Sha256 hasher;
  hasher.Update(EncodeFileHeaderFrame(header));
  Bytes data;
  UniqueFd fd;
  if (header.kind == FileKind::kRegular) {
    LARCH_ASSIGN_OR_RETURN(fd, fs_.OpenRead(dirfd, f.name));
    Bytes buf(header.size <= kInMemoryLimit ? header.size + 1 : 256 << 10);
    uint64_t total = 0;
    for (;;) {
      LARCH_ASSIGN_OR_RETURN(size_t n, fs_.Read(fd.get(), buf));
      if (n == 0) break;
      total += n;
      ByteSpan chunk(buf.data(), n);
      hasher.Update(chunk);
      if (header.size <= kInMemoryLimit) data.insert(data.end(), chunk.begin(), chunk.end());
      if (total > header.size) break;
    }
    if (total != header.size)
      return Status::IoError(DisplayPath(dir.rel_path, f.name) + " changed while being committed");
  }
  std::optional<crypto::FsVerityDigest> verity;
  if (header.kind == FileKind::kRegular && options_.verity_list) {
    // libfsverity pulls the content: from memory, or read again from the
    // start for a big file (the page cache has it from hashing).
    Result<crypto::FsVerityDigest> digest =
        header.size <= kInMemoryLimit ? crypto::ComputeFsVerityDigest(data)
                                      : crypto::ComputeFsVerityDigest(header.size, ReaderAt(fs_, fd.get()));
    if (!digest.ok()) return digest.status().WithContext(DisplayPath(dir.rel_path, f.name));
    verity = *digest;
  }
  ObjectId id(hasher.Finish());
  results_[pos] = {id, header.size, verity};
  LARCH_ASSIGN_OR_RETURN(bool fresh, txn_.Claim({id, ObjectType::kFile}));
  if (!fresh) {
    progress_->Add(header.size);
    return Status::Ok();
  }
  FileContentSource source;
  if (header.kind == FileKind::kRegular && header.size <= kInMemoryLimit) {
    source.data = &data;
  } else {
    source.dirfd = dirfd;
    source.name = f.name;
  }
  ObjectKey key{id, ObjectType::kFile};
  LARCH_ASSIGN_OR_RETURN(int staging_dir, txn_.StagingDirFd(key));
  LARCH_RETURN_IF_ERROR(WriteFileObject(store_, staging_dir, Transaction::StagedName(key), header, source)
                            .WithContext("storing " + DisplayPath(dir.rel_path, f.name)));
  progress_->Add(header.size);  // once stored: compressing is the slow part
  return Status::Ok();
}

Status Builder::HashBatch(const FileJob& job) {
  UniqueFd dirfd;
  if (job.dir->rel_path.empty()) {
    LARCH_ASSIGN_OR_RETURN(dirfd, fs_.OpenDirPath(root_fd_, "."));
  } else {
    LARCH_ASSIGN_OR_RETURN(dirfd, fs_.OpenDirPath(root_fd_, job.dir->rel_path));
  }
  for (size_t i = job.first; i < job.first + job.count; ++i)
    LARCH_RETURN_IF_ERROR(HashOne(dirfd.get(), *job.dir, i));
  return Status::Ok();
}

// Entries with the same file id and slot were one inode. Slots count the
// distinct inodes per file id in scan order, so they are deterministic.
void Builder::AssignLinkSlots() {
  std::map<ObjectId, std::map<std::pair<dev_t, ino_t>, uint32_t>> seen;
  slots_.resize(order_.size());
  for (size_t pos = 0; pos < order_.size(); ++pos) {
    if (alias_of_[pos] != pos) results_[pos] = results_[alias_of_[pos]];
    auto& inodes = seen[results_[pos].id];
    const struct stat& st = order_[pos]->st;
    auto [it, inserted] =
        inodes.try_emplace({st.st_dev, st.st_ino}, static_cast<uint32_t>(inodes.size()));
    slots_[pos] = it->second;
  }
}

Result<std::pair<ObjectId, ObjectId>> Builder::WriteTrees(const ScannedDir& dir) {
  DirTree tree;
  for (const ScannedFile& f : dir.files) {
    size_t pos = index_.at(&f);
    tree.files.push_back({f.name, results_[pos].id, results_[pos].size, slots_[pos]});
  }
  for (const auto& sub : dir.dirs) {
    LARCH_ASSIGN_OR_RETURN(auto ids, WriteTrees(*sub));
    tree.dirs.push_back({sub->name, ids.first, ids.second});
  }
  Status valid = ValidateDirTree(tree);
  if (!valid.ok()) return valid.WithContext("directory /" + dir.rel_path);
  valid = ValidateDirMeta(dir.meta);
  if (!valid.ok()) return valid.WithContext("directory /" + dir.rel_path);
  LARCH_ASSIGN_OR_RETURN(ObjectId tree_id, txn_.WriteMetadata(ObjectType::kDirTree, EncodeDirTree(tree)));
  LARCH_ASSIGN_OR_RETURN(ObjectId meta_id,
                         txn_.WriteMetadata(ObjectType::kDirMeta, EncodeDirMeta(dir.meta)));
  return std::make_pair(tree_id, meta_id);
}

// SOURCE_DATE_EPOCH (reproducible builds) when set and not empty, else now.
// A value that is not a whole number of seconds, or overflows, is refused
// (strtoull took "-1" as 2^64-1 and saturated on overflow).
Result<uint64_t> DefaultTimestamp() {
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch && *epoch != '\0') {
    Result<uint64_t> v = ParseCount(epoch);
    if (!v.ok()) return v.status().WithContext("SOURCE_DATE_EPOCH");
    return v;
  }
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// One entry per distinct regular file, sorted by id (hard links and equal
// files share their object, hence their entry).
Result<ObjectId> Builder::WriteVerityList() {
  VerityList list;
  for (const FileResult& r : results_)
    if (r.verity) list.entries.push_back({r.id, *r.verity});
  std::sort(list.entries.begin(), list.entries.end(),
            [](const VerityEntry& a, const VerityEntry& b) { return a.file < b.file; });
  list.entries.erase(std::unique(list.entries.begin(), list.entries.end(),
                                 [](const VerityEntry& a, const VerityEntry& b) { return a.file == b.file; }),
                     list.entries.end());
  LARCH_RETURN_IF_ERROR(ValidateVerityList(list));
  return txn_.WriteMetadata(ObjectType::kVerityList, EncodeVerityList(list));
}

Result<ObjectId> Builder::WriteCommit(const ObjectId& tree, const ObjectId& meta,
                                      CommitStats& stats) {
  Commit commit;
  commit.root_tree = tree;
  commit.root_meta = meta;
  LARCH_ASSIGN_OR_RETURN(commit.parent, ReadRef(store_, options_.branch));
  if (options_.timestamp) {
    commit.timestamp = *options_.timestamp;
  } else {
    LARCH_ASSIGN_OR_RETURN(commit.timestamp, DefaultTimestamp());
  }
  commit.subject = options_.subject;
  commit.body = options_.body;
  commit.metadata = options_.metadata;
  commit.metadata["content-size"] = std::to_string(stats.content_bytes);
  if (stats.verity_list) commit.metadata[std::string(kVerityListKey)] = stats.verity_list->Hex();
  // Signed together with the tree: a device installs the commit only under a
  // ref named here, so a mirror cannot serve it as another ref's
  // (docs/security.md). --metadata ref-binding=... may name more refs.
  commit.metadata.try_emplace("ref-binding", options_.branch);
  LARCH_RETURN_IF_ERROR(ValidateCommit(commit));
  stats.parent = commit.parent;
  return txn_.WriteMetadata(ObjectType::kCommit, EncodeCommit(commit));
}

uint64_t Builder::ContentBytes() const {
  uint64_t bytes = 0;
  for (size_t pos = 0; pos < order_.size(); ++pos)
    if (alias_of_[pos] == pos && S_ISREG(order_[pos]->st.st_mode)) bytes += static_cast<uint64_t>(order_[pos]->st.st_size);
  return bytes;
}

Result<CommitStats> Builder::Run(ScanResult scan) {
  Index(*scan.root);
  progress_ = std::make_unique<ProgressCounter>(options_.progress, "commit", ContentBytes());
  LARCH_RETURN_IF_ERROR(MaybeTrainDictionary(*scan.root));
  results_.resize(order_.size());
  LARCH_RETURN_IF_ERROR(ParallelFor(
      jobs_.size(), [&](size_t i) { return HashBatch(jobs_[i]); }, options_.threads));
  progress_->Finish();
  AssignLinkSlots();
  CommitStats stats;
  stats.files = order_.size();
  stats.dirs = dirs_;
  for (size_t pos = 0; pos < order_.size(); ++pos)
    if (alias_of_[pos] == pos) stats.content_bytes += results_[pos].size;
  LARCH_ASSIGN_OR_RETURN(auto root, WriteTrees(*scan.root));
  if (options_.verity_list) {
    LARCH_ASSIGN_OR_RETURN(ObjectId list, WriteVerityList());
    stats.verity_list = list;
  }
  LARCH_ASSIGN_OR_RETURN(stats.commit, WriteCommit(root.first, root.second, stats));
  stats.new_objects = txn_.staged_count();
  stats.skipped = std::move(scan.skipped);
  txn_.SetRef(options_.branch, stats.commit);
  LARCH_RETURN_IF_ERROR(txn_.Commit());
  return stats;
}

}  // namespace

Result<CommitStats> CommitTree(Store& store, const std::string& tree_path,
                               const CommitOptions& options) {
  LARCH_RETURN_IF_ERROR(ValidateRefName(options.branch));
  if (options.metadata.contains(std::string(kVerityListKey)))
    return Status::InvalidArgument("commit metadata " + std::string(kVerityListKey) +
                                   " is written by the commit itself, not given");
  // The source path is the user's: resolve its symlinks once, then walk
  // inside it without following any.
  char resolved[PATH_MAX];
  if (::realpath(tree_path.c_str(), resolved) == nullptr)
    return Status::FromErrno(errno, "tree " + tree_path);
  fs::Fs& fs = store.fs();
  Result<UniqueFd> root = fs.OpenDirPath(AT_FDCWD, resolved);
  if (!root.ok()) return root.status().WithContext("tree " + tree_path);
  ScanOptions scan_options{options.skip_special};
  LARCH_ASSIGN_OR_RETURN(ScanResult scan, ScanTree(fs, root->get(), scan_options));
  LARCH_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(store));
  Builder builder(*txn, root->get(), options);
  return builder.Run(std::move(scan));
}

}  // namespace larch::repo
