// File: repo/pull/pull.cc
#include "repo/pull/pull.h"

#include <ctime>
#include <map>

#include "repo/delta/apply.h"
#include "repo/delta/source.h"
#include "repo/delta/superblock.h"
#include "repo/file_object.h"
#include "repo/objects/dirmeta.h"
#include "repo/objects/dirtree.h"
#include "repo/objects/file_header.h"
#include "repo/objects/limits.h"
#include "repo/objects/verity_list.h"
#include "repo/pull/download_cache.h"
#include "repo/pull/fetched_file.h"
#include "repo/pull/fetcher.h"
#include "repo/refs.h"
#include "repo/transaction.h"
#include "repo/trust/install_check.h"
#include "repo/trust/summary_check.h"
#include "src/compress/zstd_dict.h"

namespace larch::pull {

namespace {

// Limits for what signed data does not size exactly (docs/security.md,
// "Endless data"): the formats' own (repo/objects/limits.h).
constexpr uint64_t kMaxMetadataObject = repo::kMaxMetadataObjectSize;
constexpr uint64_t kMaxCommitMeta = repo::kMaxCommitMetaSize;

std::string ObjectPath(const repo::ObjectKey& key) { return repo::Store::ObjectRelPath(key); }

// The most an archive file object of `size` content bytes can take.

// A delta whose parts are already in the download cache.
class CachedDeltaSource : public delta::DeltaSource {
 public:
  CachedDeltaSource(const DownloadCache& cache, std::string dir, Bytes superblock)
      : cache_(cache), dir_(std::move(dir)), superblock_(std::move(superblock)) {}
  Result<Bytes> Superblock() override { return superblock_; }
  Status Part(size_t index, uint64_t expected_size, const compress::Sink& sink) override {
    const std::string name = DownloadCache::NameFor(dir_ + "/" + delta::PartFileName(index));
    LARCH_ASSIGN_OR_RETURN(UniqueFd fd, cache_.OpenComplete(name));
    return delta::StreamFile(*fs::DefaultFs(), fd.get(), expected_size + 1, sink);
  }

 private:
  const DownloadCache& cache_;
  std::string dir_;
  Bytes superblock_;
};

// A file still to fetch, and where the tree names it.
struct MissingFile {
  repo::ObjectId id;
  uint64_t size;
};

class Puller {
 public:
  Puller(repo::Store& store, const trust::RemoteConfig& remote, trust::TrustState& state, const PullOptions& options)
      : store_(store), remote_(remote), state_(state), options_(options), allow_downgrade_(options.allow_downgrade) {}

  Result<PullResult> Run();
  // A full disk: this remote's downloads are removed, partial or complete,
  // so that the refused pull gives its space back.
  Status DropDownloads();

 private:
  Status OpenCache();
  Result<Bytes> FetchCached(const std::string& path, uint64_t limit, std::optional<uint64_t> exact_size);
  Result<Bytes> FetchCommit(const repo::SummaryRef& entry);
  Result<std::optional<repo::CommitMeta>> FetchCommitMeta(const repo::ObjectId& id);
  Result<Bytes> FetchCommitById(const repo::ObjectId& id);
  Status CheckRecallTarget(const repo::SummaryRecall& recall);
  const repo::SummaryDelta* ChooseDelta(const repo::ObjectId& target, const std::optional<repo::ObjectId>& previous);
  Status CheckFreeSpace(uint64_t bytes);
  Result<PullResult> PullDelta(const repo::SummaryDelta& offer, const trust::TrustPolicy& policy);
  Status WalkMetadata(const repo::Commit& commit);
  Status FetchMetadataLevel(const std::vector<repo::ObjectKey>& keys);
  Result<PullResult> PullObjects(const repo::Commit& commit, const Bytes& commit_bytes,
                                 const std::optional<repo::CommitMeta>& meta, const trust::InstallRequest& request,
                                 const std::optional<repo::ObjectId>& previous);
  Status StageFile(const MissingFile& file);
  Result<std::shared_ptr<const compress::ZstdDictionary>> DictionaryFor(ByteSpan frame_head);
  Status Record(const trust::InstallRequest& request, const std::optional<repo::ObjectId>& previous);

  repo::Store& store_;
  const trust::RemoteConfig& remote_;
  trust::TrustState& state_;
  const PullOptions& options_;
  // options_.allow_downgrade, or a signed recall's (trust/rollout.h).
  bool allow_downgrade_;
  std::string history_detail_;
  bool recall_ = false;
  std::unique_ptr<Fetcher> fetcher_;
  std::unique_ptr<DownloadCache> cache_;
  std::unique_ptr<repo::Transaction> txn_;
  std::optional<trust::VerifiedSummary> summary_;
  std::map<uint32_t, std::shared_ptr<const compress::ZstdDictionary>> dictionaries_;
  // Found by WalkMetadata: metadata objects to stage, files to fetch.
  std::map<repo::ObjectKey, Bytes> new_metadata_;
  std::map<repo::ObjectId, MissingFile> missing_files_;
  uint64_t fetched_ = 0;
};

// The cache (and its lock) from the first download on: an up-to-date pull
// still fetches the commit's signatures.
Status Puller::OpenCache() {
  if (cache_ != nullptr) return Status::Ok();
  LARCH_ASSIGN_OR_RETURN(cache_, DownloadCache::Open(store_, remote_.name));
  return Status::Ok();
}

Status Puller::DropDownloads() {
  txn_.reset();  // its staged objects first: they hold space too
  if (cache_ == nullptr) {  // left by an earlier pull, if anything
    Result<UniqueFd> dir = store_.fs().OpenDirPath(store_.tmp_fd(), "downloads/" + remote_.name);
    if (!dir.ok()) return dir.status().IsNotFound() ? Status::Ok() : dir.status();
    LARCH_ASSIGN_OR_RETURN(cache_, DownloadCache::Open(store_, remote_.name));
  }
  return cache_->Clear();
}

// A small whole file through the download cache, so that the next attempt
// after a kill or a reboot does not fetch it again. The caller verifies it
// and discards it from the cache when it fails.
Result<Bytes> Puller::FetchCached(const std::string& path, uint64_t limit, std::optional<uint64_t> exact_size) {
  LARCH_RETURN_IF_ERROR(OpenCache());
  LARCH_RETURN_IF_ERROR(fetcher_->FetchAll(*cache_, {{path, limit, exact_size}}));
  return cache_->Read(DownloadCache::NameFor(path), limit);
}

Result<Bytes> Puller::FetchCommit(const repo::SummaryRef& entry) {
  const repo::ObjectKey key{entry.commit, repo::ObjectType::kCommit};
  LARCH_ASSIGN_OR_RETURN(bool have, store_.HasObject(key));
  if (have) return store_.ReadMetadataBytes(key);
  LARCH_ASSIGN_OR_RETURN(Bytes bytes, FetchCached(ObjectPath(key), entry.commit_size, entry.commit_size));
  ++fetched_;
  if (bytes.size() != entry.commit_size || repo::ObjectId::HashOf(bytes) != entry.commit) {
    cache_->Discard(DownloadCache::NameFor(ObjectPath(key)));
    return Status::Corruption("commit " + entry.commit.Hex() + " from remote " + remote_.name +
                              " does not match its id (or the summary's size)");
  }
  return bytes;
}

// A commit named by id alone (a parent): from the store, else fetched with
// the limit of any metadata object and hashed against its id.
Result<Bytes> Puller::FetchCommitById(const repo::ObjectId& id) {
  const repo::ObjectKey key{id, repo::ObjectType::kCommit};
  LARCH_ASSIGN_OR_RETURN(bool have, store_.HasObject(key));
  if (have) return store_.ReadMetadataBytes(key);
  LARCH_ASSIGN_OR_RETURN(Bytes bytes, FetchCached(ObjectPath(key), repo::kMaxMetadataObjectSize, std::nullopt));
  if (repo::ObjectId::HashOf(bytes) != id) {
    cache_->Discard(DownloadCache::NameFor(ObjectPath(key)));
    return Status::Corruption("commit " + id.Hex() + " from remote " + remote_.name + " does not match its id");
  }
  return bytes;
}

// A recall may only go back to an earlier release of the ref: the target
// must be an ancestor of the recalled head, followed through the parent
// ids the signed commits carry (each fetched commit hashed against its
// id). A publisher's slip (a commit of another branch, a typo) is refused
// before anything is installed.
Status Puller::CheckRecallTarget(const repo::SummaryRecall& recall) {
  constexpr int kMaxDepth = 1000;
  repo::ObjectId id = recall.recalled;
  for (int depth = 0; depth < kMaxDepth; ++depth) {
    LARCH_ASSIGN_OR_RETURN(Bytes bytes, FetchCommitById(id));
    LARCH_ASSIGN_OR_RETURN(repo::Commit commit, repo::DecodeCommit(bytes));
    if (!commit.parent) break;
    if (*commit.parent == recall.to.commit) return Status::Ok();
    id = *commit.parent;
  }
  return Status::VerifyFailed("the recall of " + recall.ref + " on remote " + remote_.name + " names commit " +
                              recall.to.commit.Hex() + ", which is not an earlier release of " + recall.ref +
                              " (not an ancestor of the recalled " + recall.recalled.Hex().substr(0, 12) +
                              "); nothing was installed");
}

// Signatures are the one thing a publisher adds to after the fact, so a
// cached copy lives only until the install check has judged it (see Run).
Result<std::optional<repo::CommitMeta>> Puller::FetchCommitMeta(const repo::ObjectId& id) {
  const std::string path = ObjectPath({id, repo::ObjectType::kCommitMeta});
  Result<Bytes> bytes = FetchCached(path, kMaxCommitMeta, std::nullopt);
  if (!bytes.ok() && bytes.status().IsNotFound()) return std::optional<repo::CommitMeta>();
  if (!bytes.ok()) return bytes.status().WithContext("signatures of commit " + id.Hex());
  Result<repo::CommitMeta> meta = repo::DecodeCommitMeta(*bytes);
  if (!meta.ok()) cache_->Discard(DownloadCache::NameFor(path));
  LARCH_RETURN_IF_ERROR(meta.status());
  return std::optional<repo::CommitMeta>(std::move(*meta));
}

// A delta to the target from the commit the ref names now, else from any
// commit the store has whole (its commit object present: commits are
// published only after their trees).
const repo::SummaryDelta* Puller::ChooseDelta(const repo::ObjectId& target,
                                              const std::optional<repo::ObjectId>& previous) {
  if (!options_.use_deltas) return nullptr;
  const repo::SummaryDelta* best = nullptr;
  for (const repo::SummaryDelta& d : summary_->summary.deltas) {
    if (d.to != target || !d.from) continue;
    if (previous && *d.from == *previous) return &d;
    Result<bool> have = store_.HasObject({*d.from, repo::ObjectType::kCommit});
    if (have.ok() && *have && best == nullptr) best = &d;
  }
  return best;
}

Status Puller::CheckFreeSpace(uint64_t bytes) {
  LARCH_ASSIGN_OR_RETURN(uint64_t free, store_.fs().FreeSpace(store_.root_fd()));
  if (free >= bytes + options_.min_free_space) return Status::Ok();
  return Status::NoSpace("pulling " + options_.ref + " needs " + std::to_string(bytes) + " bytes plus a reserve of " +
                         std::to_string(options_.min_free_space) + ", but " + store_.path() + " has " +
                         std::to_string(free) + " bytes free");
}

Result<PullResult> Puller::PullDelta(const repo::SummaryDelta& offer, const trust::TrustPolicy& policy) {
  const std::string dir = "deltas/" + delta::DeltaDirName(offer.from, offer.to);
  const std::string superblock_path = dir + "/superblock";
  LARCH_RETURN_IF_ERROR(fetcher_->FetchAll(*cache_, {{superblock_path, offer.superblock_size, offer.superblock_size}},
                                           options_.progress));
  const std::string sb_name = DownloadCache::NameFor(superblock_path);
  LARCH_ASSIGN_OR_RETURN(Bytes sb_file, cache_->Read(sb_name, offer.superblock_size));
  if (crypto::Sha256::Hash(sb_file) != offer.superblock_sha256) {
    cache_->Discard(sb_name);
    return Status::Corruption("delta superblock " + superblock_path + " from remote " + remote_.name +
                              " does not match the signed summary");
  }
  CachedDeltaSource source(*cache_, dir, sb_file);
  delta::ApplyOptions apply;
  apply.envelope_kind = repo::SignedKind::kDeltaSuperblock;
  apply.ref = LocalRefName(remote_.name, options_.ref);
  const trust::RemoteTrust summary_trust = summary_->trust();
  apply.verify = delta::ApplyVerification{&policy, &state_, options_.ref, allow_downgrade_, &summary_trust};
  apply.progress = options_.progress;
  LARCH_ASSIGN_OR_RETURN(delta::DeltaSuperblock sb, delta::ReadVerifiedSuperblock(source, apply));
  PullResult result;
  result.method = "delta";
  result.delta_from = offer.from;
  result.download_bytes = offer.superblock_size + sb.TotalCompressed();
  result.write_bytes = sb.TotalUncompressed();
  if (options_.dry_run) return result;
  LARCH_RETURN_IF_ERROR(CheckFreeSpace(sb.TotalUncompressed()));
  std::vector<Download> parts;
  for (size_t i = 0; i < sb.parts.size(); ++i) {
    const uint64_t size = sb.parts[i].compressed_size;
    parts.push_back({dir + "/" + delta::PartFileName(i), size, size});
  }
  LARCH_RETURN_IF_ERROR(fetcher_->FetchAll(*cache_, parts, options_.progress));
  LARCH_ASSIGN_OR_RETURN(delta::ApplyStats stats, delta::ApplyDelta(store_, source, apply));
  result.commit = stats.commit;
  fetched_ += stats.objects_written;
  return result;
}

Status Puller::FetchMetadataLevel(const std::vector<repo::ObjectKey>& keys) {
  std::vector<Download> wanted;
  for (const repo::ObjectKey& key : keys) wanted.push_back({ObjectPath(key), kMaxMetadataObject, std::nullopt});
  LARCH_RETURN_IF_ERROR(fetcher_->FetchAll(*cache_, wanted, options_.progress, "metadata"));
  for (const repo::ObjectKey& key : keys) {
    const std::string name = DownloadCache::NameFor(ObjectPath(key));
    LARCH_ASSIGN_OR_RETURN(Bytes bytes, cache_->Read(name, kMaxMetadataObject));
    if (repo::ObjectId::HashOf(bytes) != key.id) {
      cache_->Discard(name);
      return Status::Corruption("object " + key.id.Hex() + " from remote " + remote_.name + " does not match its id");
    }
    ++fetched_;
    new_metadata_[key] = std::move(bytes);
  }
  return Status::Ok();
}

// Breadth first, one parallel batch of downloads per tree level: every
// dirtree and dirmeta is verified before the entries it names are trusted.
// The commit's verity list comes with the first level.
Status Puller::WalkMetadata(const repo::Commit& commit) {
  std::vector<std::pair<repo::ObjectId, repo::ObjectId>> level = {{commit.root_tree, commit.root_meta}};
  LARCH_ASSIGN_OR_RETURN(std::optional<repo::ObjectId> verity, repo::VerityListOf(commit));
  std::optional<repo::ObjectKey> verity_key;
  if (verity) verity_key = repo::ObjectKey{*verity, repo::ObjectType::kVerityList};
  while (!level.empty()) {
    std::vector<repo::ObjectKey> fetch;
    if (verity_key) {
      LARCH_ASSIGN_OR_RETURN(bool have, store_.HasObject(*verity_key));
      if (!have) fetch.push_back(*verity_key);
    }
    for (const auto& [tree, meta] : level) {
      for (repo::ObjectKey key : {repo::ObjectKey{tree, repo::ObjectType::kDirTree},
                                  repo::ObjectKey{meta, repo::ObjectType::kDirMeta}}) {
        LARCH_ASSIGN_OR_RETURN(bool have, store_.HasObject(key));
        if (!have && !new_metadata_.count(key)) fetch.push_back(key);
      }
    }
    std::sort(fetch.begin(), fetch.end());
    fetch.erase(std::unique(fetch.begin(), fetch.end()), fetch.end());
    LARCH_RETURN_IF_ERROR(FetchMetadataLevel(fetch));
    if (verity_key && new_metadata_.count(*verity_key)) {
      Status list = repo::DecodeVerityList(new_metadata_[*verity_key]).status();
      if (!list.ok()) return list.WithContext("verity list " + verity_key->id.Hex() + " from remote " + remote_.name);
    }
    verity_key.reset();
    std::vector<std::pair<repo::ObjectId, repo::ObjectId>> next;
    for (const auto& [tree_id, meta_id] : level) {
      const repo::ObjectKey meta_key{meta_id, repo::ObjectType::kDirMeta};
      const repo::ObjectKey tree_key{tree_id, repo::ObjectType::kDirTree};
      Bytes meta_bytes = new_metadata_.count(meta_key) ? new_metadata_[meta_key] : Bytes();
      if (meta_bytes.empty()) {
        LARCH_ASSIGN_OR_RETURN(meta_bytes, store_.ReadMetadataBytes(meta_key));
      }
      LARCH_RETURN_IF_ERROR(repo::DecodeDirMeta(meta_bytes).status());
      Bytes tree_bytes = new_metadata_.count(tree_key) ? new_metadata_[tree_key] : Bytes();
      if (tree_bytes.empty()) {
        LARCH_ASSIGN_OR_RETURN(tree_bytes, store_.ReadMetadataBytes(tree_key));
      }
      LARCH_ASSIGN_OR_RETURN(repo::DirTree tree, repo::DecodeDirTree(tree_bytes));
      for (const repo::DirTreeFile& f : tree.files) {
        LARCH_ASSIGN_OR_RETURN(bool have, store_.HasObject({f.file, repo::ObjectType::kFile}));
        if (!have) missing_files_.emplace(f.file, MissingFile{f.file, f.size});
      }
      for (const repo::DirTreeDir& d : tree.dirs) next.emplace_back(d.tree, d.meta);
    }
    level = std::move(next);
  }
  return Status::Ok();
}

Result<std::shared_ptr<const compress::ZstdDictionary>> Puller::DictionaryFor(ByteSpan frame_head) {
  const uint32_t id = compress::FrameDictionaryId(frame_head);
  if (id == 0) return std::shared_ptr<const compress::ZstdDictionary>();
  if (auto it = dictionaries_.find(id); it != dictionaries_.end()) return it->second;
  const repo::SummaryDictionary* listed = nullptr;
  for (const auto& d : summary_->summary.dictionaries) listed = d.id == id ? &d : listed;
  if (listed == nullptr) {
    return Status::Corruption("an object from remote " + remote_.name + " needs dictionary " +
                              std::to_string(id) + ", which its summary does not list");
  }
  const std::string path = "dictionaries/" + repo::Store::DictionaryFileName(id);
  LARCH_RETURN_IF_ERROR(fetcher_->FetchAll(*cache_, {{path, listed->size, listed->size}}));
  const std::string name = DownloadCache::NameFor(path);
  LARCH_ASSIGN_OR_RETURN(Bytes content, cache_->Read(name, listed->size));
  if (content.size() != listed->size || crypto::Sha256::Hash(content) != listed->sha256) {
    cache_->Discard(name);
    return Status::Corruption(path + " from remote " + remote_.name + " does not match the summary");
  }
  LARCH_ASSIGN_OR_RETURN(auto dict, compress::ZstdDictionary::Load(std::move(content), 3));
  dictionaries_[id] = dict;
  return dict;
}

// Reads a downloaded archive file object, checks it against its id, and
// stages it in the local store's mode.
Status Puller::StageFile(const MissingFile& file) {
  const repo::ObjectKey key{file.id, repo::ObjectType::kFile};
  const std::string name = DownloadCache::NameFor(ObjectPath(key));
  const std::string what = "file object " + file.id.Hex() + " from remote " + remote_.name;
  LARCH_ASSIGN_OR_RETURN(Bytes bytes, cache_->Read(name, FetchedFileLimit(file.size)));
  ++fetched_;
  Bytes content;
  Status s = [&]() -> Status {
    repo::FileHeader header;
    LARCH_RETURN_IF_ERROR(DecodeFetchedFile(
        bytes, file.id, file.size, what, [this](ByteSpan head) { return DictionaryFor(head); }, &header, &content));
    LARCH_ASSIGN_OR_RETURN(bool fresh, txn_->Claim(key));
    if (!fresh) return Status::Ok();
    LARCH_ASSIGN_OR_RETURN(int dirfd, txn_->StagingDirFd(key));
    repo::FileContentSource source;
    source.data = &content;
    return repo::WriteFileObject(store_, dirfd, repo::Transaction::StagedName(key), header, source);
  }();
  // A download that fails its check is never used again: the next pull
  // fetches it afresh.
  if (!s.ok() && s.code() == StatusCode::kCorruption) cache_->Discard(name);
  return s;
}

Status Puller::Record(const trust::InstallRequest& request, const std::optional<repo::ObjectId>& previous) {
  trust::TrustState::Update update;
  update.SetRemote(remote_.name, summary_->trust());
  update.SetRef(remote_.name, options_.ref, trust::RefTrustFor(request));
  trust::HistoryEntry entry;
  entry.action = "pull";
  entry.remote = remote_.name;
  entry.ref = options_.ref;
  entry.from_commit = previous;
  entry.to_commit = request.commit_id;
  LARCH_ASSIGN_OR_RETURN(std::optional<trust::RefTrust> old, state_.GetRef(remote_.name, options_.ref));
  entry.from_version = old ? old->version : "";
  entry.to_version = trust::RefTrustFor(request).version;
  entry.outcome = "ok";
  entry.downgrade_allowed = allow_downgrade_;
  entry.detail = history_detail_;
  update.AddHistory(entry);
  return state_.Apply(update);
}

Result<PullResult> Puller::PullObjects(const repo::Commit& commit, const Bytes& commit_bytes,
                                       const std::optional<repo::CommitMeta>& meta,
                                       const trust::InstallRequest& request,
                                       const std::optional<repo::ObjectId>& previous) {
  LARCH_RETURN_IF_ERROR(WalkMetadata(commit));
  PullResult result;
  result.method = "objects";
  for (const auto& [id, f] : missing_files_) {
    result.download_bytes += std::min<uint64_t>(FetchedFileLimit(f.size), f.size + 512);
    result.write_bytes += f.size;
  }
  if (options_.dry_run) return result;
  LARCH_RETURN_IF_ERROR(CheckFreeSpace(result.write_bytes));
  std::vector<Download> files;
  for (const auto& [id, f] : missing_files_) {
    // Compressed on the wire, so no exact size: progress counts each file
    // for its signed content size (received bytes, up to that).
    files.push_back({ObjectPath({id, repo::ObjectType::kFile}), FetchedFileLimit(f.size), std::nullopt, f.size});
  }
  LARCH_RETURN_IF_ERROR(fetcher_->FetchAll(*cache_, files, options_.progress));
  LARCH_ASSIGN_OR_RETURN(txn_, repo::Transaction::Begin(store_));
  for (const auto& [key, bytes] : new_metadata_) LARCH_RETURN_IF_ERROR(txn_->WriteMetadata(key.type, bytes).status());
  for (const auto& [id, f] : missing_files_) LARCH_RETURN_IF_ERROR(StageFile(f));
  LARCH_RETURN_IF_ERROR(txn_->WriteMetadata(repo::ObjectType::kCommit, commit_bytes).status());
  if (meta) LARCH_RETURN_IF_ERROR(txn_->WriteCommitMeta(request.commit_id, repo::EncodeCommitMeta(*meta)));
  txn_->SetRef(LocalRefName(remote_.name, options_.ref), request.commit_id);
  txn_->SetBeforeRefs([&] { return Record(request, previous); });
  LARCH_RETURN_IF_ERROR(txn_->Commit());
  result.commit = request.commit_id;
  return result;
}

Result<PullResult> Puller::Run() {
  LARCH_ASSIGN_OR_RETURN(trust::TrustPolicy policy, trust::LoadPolicy(remote_));
  LARCH_RETURN_IF_ERROR(repo::ValidateRefName(options_.ref));
  LARCH_ASSIGN_OR_RETURN(fetcher_, Fetcher::Create(remote_, options_.fetch));
  const uint64_t now = options_.now ? options_.now : static_cast<uint64_t>(std::time(nullptr));
  LARCH_ASSIGN_OR_RETURN(Bytes summary_file, fetcher_->Get("summary", repo::kMaxSummarySize, "summary"));
  LARCH_ASSIGN_OR_RETURN(summary_, trust::VerifySummary(policy, state_, summary_file, now));
  if (summary_->summary.store_mode != "archive") {
    return Status::Unsupported("remote " + remote_.name + " serves a bare store; publish from an archive store");
  }
  const repo::SummaryRef* entry = summary_->summary.FindRef(options_.ref);
  if (entry == nullptr) return Status::NotFound("remote " + remote_.name + " does not offer ref " + options_.ref);
  if (options_.rollout) {
    // The publisher's rollout control, as signed in the summary: a staged,
    // halted or recalled head is not fetched at all.
    const trust::OfferDecision offer = trust::DecideOffer(summary_->summary, *entry, *options_.rollout);
    if (offer.offer != trust::Offer::kHead && offer.offer != trust::Offer::kRecallTarget) {
      PullResult withheld;
      withheld.method = "none";
      withheld.commit = entry->commit;
      withheld.version = entry->version;
      withheld.withheld = offer.reason;
      withheld.bytes_received = fetcher_->bytes_received();
      LARCH_ASSIGN_OR_RETURN(withheld.previous, repo::ReadRef(store_, LocalRefName(remote_.name, options_.ref)));
      return withheld;
    }
    if (offer.offer == trust::Offer::kRecallTarget) {
      LARCH_RETURN_IF_ERROR(CheckRecallTarget(*summary_->summary.FindRecall(options_.ref)));
      entry = offer.entry;
      allow_downgrade_ = true;  // the one signed, explicit exception to the version rule
      history_detail_ = "recall: " + offer.reason;
      recall_ = true;
    }
  }
  if (options_.expected_commit && entry->commit != *options_.expected_commit) {
    return Status::VerifyFailed("remote " + remote_.name + " offers commit " + entry->commit.Hex() + " for ref " +
                                options_.ref + ", not the expected " + options_.expected_commit->Hex());
  }

  LARCH_ASSIGN_OR_RETURN(Bytes commit_bytes, FetchCommit(*entry));
  LARCH_ASSIGN_OR_RETURN(repo::Commit commit, repo::DecodeCommit(commit_bytes));
  LARCH_ASSIGN_OR_RETURN(std::optional<repo::CommitMeta> meta, FetchCommitMeta(entry->commit));
  trust::InstallRequest request{options_.ref, entry->commit, &commit, meta ? &*meta : nullptr, entry,
                                allow_downgrade_};
  if (Status verdict = trust::VerifyCommitForInstall(policy, state_, request); !verdict.ok()) {
    // A refusal may be a publisher's signature still to come: ask afresh next time.
    cache_->Discard(DownloadCache::NameFor(ObjectPath({entry->commit, repo::ObjectType::kCommitMeta})));
    return verdict;
  }

  const std::string local_ref = LocalRefName(remote_.name, options_.ref);
  LARCH_ASSIGN_OR_RETURN(std::optional<repo::ObjectId> previous, repo::ReadRef(store_, local_ref));
  PullResult result;
  if (previous == entry->commit) {
    result.method = "none";
    result.commit = entry->commit;
    if (!options_.dry_run) {  // nothing to fetch; the newer summary is still worth remembering
      trust::TrustState::Update update;
      update.SetRemote(remote_.name, summary_->trust());
      LARCH_RETURN_IF_ERROR(state_.Apply(update));
      (void)cache_->Clear();  // the signatures fetched above
    }
  } else {
    LARCH_RETURN_IF_ERROR(OpenCache());
    const repo::SummaryDelta* offer = ChooseDelta(entry->commit, previous);
    if (offer != nullptr) {
      LARCH_ASSIGN_OR_RETURN(result, PullDelta(*offer, policy));
    } else {
      LARCH_ASSIGN_OR_RETURN(result, PullObjects(commit, commit_bytes, meta, request, previous));
    }
    // Everything verified is in the store now; the cache has served.
    if (!options_.dry_run) (void)cache_->Clear();
  }
  result.commit = entry->commit;
  result.previous = previous;
  result.version = entry->version;
  result.up_to_date = previous == entry->commit;
  result.recall = recall_;
  result.recall_reason = recall_ ? history_detail_ : "";
  result.objects_fetched = fetched_;
  result.bytes_received = fetcher_->bytes_received();
  return result;
}

}  // namespace

std::string LocalRefName(const std::string& remote, const std::string& ref) { return remote + ":" + ref; }

Result<PullResult> Pull(repo::Store& store, const trust::RemoteConfig& remote, trust::TrustState& state,
                        const PullOptions& options) {
  Puller puller(store, remote, state, options);
  Result<PullResult> result = puller.Run();
  if (!result.ok() && result.status().code() == StatusCode::kNoSpace && !options.dry_run) {
    Status dropped = puller.DropDownloads();
    result = Status::NoSpace(result.status().message() +
                             (dropped.ok() ? "; this pull's downloads were removed to give the space back"
                                           : "; removing this pull's downloads failed too: " + dropped.message()));
  }
  if (!result.ok()) {
    // Every attempt is in the history, refused or failed, with the reason;
    // the trust records themselves are untouched. A history that cannot be
    // written (a damaged database) must not hide the original error.
    trust::HistoryEntry entry;
    entry.action = "pull";
    entry.remote = remote.name;
    entry.ref = options.ref;
    entry.outcome = result.status().code() == StatusCode::kVerifyFailed ? "refused" : "failed";
    entry.detail = result.status().message();
    entry.downgrade_allowed = options.allow_downgrade;
    (void)state.AddHistory(entry);
  }
  return result;
}

}  // namespace larch::pull
