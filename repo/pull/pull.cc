// File: repo/pull/pull.cc
#include "repo/pull/pull.h"

#include <zstd.h>

#include <ctime>
#include <map>

#include "repo/file_object.h"
#include "repo/objects/dirmeta.h"
#include "repo/objects/dirtree.h"
#include "repo/objects/file_header.h"
#include "repo/pull/fetcher.h"
#include "repo/refs.h"
#include "repo/transaction.h"
#include "repo/trust/install_check.h"
#include "repo/trust/summary_check.h"
#include "src/compress/zstd_dict.h"
#include "src/compress/zstd_stream.h"

namespace larch::pull {

namespace {

// Limits for what signed data does not size exactly (docs/security.md,
// "Endless data"): metadata objects are bounded by what the format allows
// in practice; a commitmeta by its 64 signatures.
constexpr uint64_t kMaxMetadataObject = 64u << 20;
constexpr uint64_t kMaxCommitMeta = 2 + 4 + repo::kMaxSignatures * 96;

std::string ObjectPath(const repo::ObjectKey& key) { return repo::Store::ObjectRelPath(key); }

// The most an archive file object of `size` content bytes can take.
uint64_t FileObjectLimit(uint64_t size) {
  return 4 + repo::kMaxFileHeaderSize + ZSTD_compressBound(size) + 1024;
}

class Puller {
 public:
  Puller(repo::Store& store, const trust::RemoteConfig& remote, trust::TrustState& state, const PullOptions& options)
      : store_(store), remote_(remote), state_(state), options_(options) {}

  Result<PullResult> Run();

 private:
  Result<Bytes> FetchCommit(const repo::SummaryRef& entry);
  Result<std::optional<repo::CommitMeta>> FetchCommitMeta(const repo::ObjectId& id);
  Result<Bytes> FetchMetadata(const repo::ObjectKey& key);
  Status FetchTree(const repo::ObjectId& tree, const repo::ObjectId& meta);
  Status FetchFile(const repo::DirTreeFile& file);
  Result<std::shared_ptr<const compress::ZstdDictionary>> DictionaryFor(ByteSpan frame_head);
  Status Record(const trust::InstallRequest& request, const trust::VerifiedSummary& summary,
                const std::optional<repo::ObjectId>& previous);

  repo::Store& store_;
  const trust::RemoteConfig& remote_;
  trust::TrustState& state_;
  const PullOptions& options_;
  std::unique_ptr<Fetcher> fetcher_;
  std::unique_ptr<repo::Transaction> txn_;
  const repo::Summary* summary_ = nullptr;
  std::map<uint32_t, std::shared_ptr<const compress::ZstdDictionary>> dictionaries_;
  uint64_t fetched_ = 0;
};

Result<Bytes> Puller::FetchCommit(const repo::SummaryRef& entry) {
  const repo::ObjectKey key{entry.commit, repo::ObjectType::kCommit};
  LARCH_ASSIGN_OR_RETURN(bool have, store_.HasObject(key));
  if (have) return store_.ReadMetadataBytes(key);
  LARCH_ASSIGN_OR_RETURN(Bytes bytes, fetcher_->Get(ObjectPath(key), entry.commit_size, "commit " + entry.commit.Hex()));
  ++fetched_;
  if (bytes.size() != entry.commit_size || repo::ObjectId::HashOf(bytes) != entry.commit) {
    return Status::Corruption("commit " + entry.commit.Hex() + " from remote " + remote_.name +
                              " does not match its id (or the summary's size)");
  }
  return bytes;
}

Result<std::optional<repo::CommitMeta>> Puller::FetchCommitMeta(const repo::ObjectId& id) {
  Result<Bytes> bytes = fetcher_->Get(ObjectPath({id, repo::ObjectType::kCommitMeta}), kMaxCommitMeta,
                                      "signatures of commit " + id.Hex());
  if (!bytes.ok() && bytes.status().IsNotFound()) return std::optional<repo::CommitMeta>();
  if (!bytes.ok()) return bytes.status();
  LARCH_ASSIGN_OR_RETURN(repo::CommitMeta meta, repo::DecodeCommitMeta(*bytes));
  return std::optional<repo::CommitMeta>(std::move(meta));
}

Result<Bytes> Puller::FetchMetadata(const repo::ObjectKey& key) {
  LARCH_ASSIGN_OR_RETURN(bool have, store_.HasObject(key));
  if (have) return store_.ReadMetadataBytes(key);
  LARCH_ASSIGN_OR_RETURN(Bytes bytes, fetcher_->Get(ObjectPath(key), kMaxMetadataObject, "object " + key.id.Hex()));
  ++fetched_;
  if (repo::ObjectId::HashOf(bytes) != key.id) {
    return Status::Corruption("object " + key.id.Hex() + " from remote " + remote_.name + " does not match its id");
  }
  // Staged only after the hash matched; the transaction skips duplicates.
  LARCH_ASSIGN_OR_RETURN(repo::ObjectId staged, txn_->WriteMetadata(key.type, bytes));
  (void)staged;
  return bytes;
}

Status Puller::FetchTree(const repo::ObjectId& tree_id, const repo::ObjectId& meta_id) {
  LARCH_ASSIGN_OR_RETURN(Bytes meta_bytes, FetchMetadata({meta_id, repo::ObjectType::kDirMeta}));
  LARCH_RETURN_IF_ERROR(repo::DecodeDirMeta(meta_bytes).status());
  LARCH_ASSIGN_OR_RETURN(Bytes tree_bytes, FetchMetadata({tree_id, repo::ObjectType::kDirTree}));
  LARCH_ASSIGN_OR_RETURN(repo::DirTree tree, repo::DecodeDirTree(tree_bytes));
  for (const repo::DirTreeFile& file : tree.files) LARCH_RETURN_IF_ERROR(FetchFile(file));
  for (const repo::DirTreeDir& dir : tree.dirs) LARCH_RETURN_IF_ERROR(FetchTree(dir.tree, dir.meta));
  return Status::Ok();
}

Result<std::shared_ptr<const compress::ZstdDictionary>> Puller::DictionaryFor(ByteSpan frame_head) {
  const uint32_t id = compress::FrameDictionaryId(frame_head);
  if (id == 0) return std::shared_ptr<const compress::ZstdDictionary>();
  if (auto it = dictionaries_.find(id); it != dictionaries_.end()) return it->second;
  const repo::SummaryDictionary* listed = nullptr;
  for (const auto& d : summary_->dictionaries) listed = d.id == id ? &d : listed;
  if (listed == nullptr) {
    return Status::Corruption("an object from remote " + remote_.name + " needs dictionary " +
                              std::to_string(id) + ", which its summary does not list");
  }
  const std::string name = repo::Store::DictionaryFileName(id);
  LARCH_ASSIGN_OR_RETURN(Bytes content, fetcher_->Get("dictionaries/" + name, listed->size, "dictionary " + name));
  if (content.size() != listed->size || crypto::Sha256::Hash(content) != listed->sha256) {
    return Status::Corruption("dictionary " + name + " from remote " + remote_.name + " does not match the summary");
  }
  LARCH_ASSIGN_OR_RETURN(auto dict, compress::ZstdDictionary::Load(std::move(content), 3));
  dictionaries_[id] = dict;
  return dict;
}

Status Puller::FetchFile(const repo::DirTreeFile& file) {
  const repo::ObjectKey key{file.file, repo::ObjectType::kFile};
  LARCH_ASSIGN_OR_RETURN(bool have, store_.HasObject(key));
  if (have) return Status::Ok();
  LARCH_ASSIGN_OR_RETURN(bool fresh, txn_->Claim(key));
  if (!fresh) return Status::Ok();  // another entry of this pull has it
  const std::string what = "file object " + file.file.Hex() + " from remote " + remote_.name;
  LARCH_ASSIGN_OR_RETURN(Bytes bytes, fetcher_->Get(ObjectPath(key), FileObjectLimit(file.size), what));
  ++fetched_;
  LARCH_ASSIGN_OR_RETURN(repo::ParsedHeaderFrame frame, repo::DecodeFileHeaderFrame(bytes));
  if (frame.header.size != file.size) {
    return Status::Corruption(what + ": its header says " + std::to_string(frame.header.size) +
                              " bytes, the signed tree says " + std::to_string(file.size));
  }
  ByteSpan compressed = ByteSpan(bytes).subspan(frame.frame_size);
  Bytes content;
  if (frame.header.kind == repo::FileKind::kRegular) {
    LARCH_ASSIGN_OR_RETURN(auto dict, DictionaryFor(compressed));
    auto sink = [&content](ByteSpan chunk) {
      content.insert(content.end(), chunk.begin(), chunk.end());
      return Status::Ok();
    };
    LARCH_ASSIGN_OR_RETURN(auto z, compress::ZstdDecompressStream::Create(file.size, sink, dict.get()));
    LARCH_RETURN_IF_ERROR(z->Write(compressed).WithContext(what));
    LARCH_RETURN_IF_ERROR(z->Finish().WithContext(what));
  } else if (!compressed.empty()) {
    return Status::Corruption(what + ": trailing bytes after a symlink's header");
  }
  if (content.size() != file.size ||
      repo::ObjectId(repo::HashFileObject(frame.header, content)) != file.file) {
    return Status::Corruption(what + " does not match its id");
  }
  LARCH_ASSIGN_OR_RETURN(int dirfd, txn_->StagingDirFd(key));
  repo::FileContentSource source;
  source.data = &content;
  return repo::WriteFileObject(store_, dirfd, repo::Transaction::StagedName(key), frame.header, source);
}

Status Puller::Record(const trust::InstallRequest& request, const trust::VerifiedSummary& summary,
                      const std::optional<repo::ObjectId>& previous) {
  trust::TrustState::Update update;
  update.SetRemote(remote_.name, summary.trust());
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
  entry.downgrade_allowed = options_.allow_downgrade;
  update.AddHistory(entry);
  return state_.Apply(update);
}

Result<PullResult> Puller::Run() {
  LARCH_ASSIGN_OR_RETURN(trust::TrustPolicy policy, trust::LoadPolicy(remote_));
  LARCH_RETURN_IF_ERROR(repo::ValidateRefName(options_.ref));
  LARCH_ASSIGN_OR_RETURN(fetcher_, Fetcher::Create(remote_, options_.fetch));
  const uint64_t now = options_.now ? options_.now : static_cast<uint64_t>(std::time(nullptr));
  LARCH_ASSIGN_OR_RETURN(Bytes summary_file, fetcher_->Get("summary", repo::kMaxSummarySize, "summary"));
  LARCH_ASSIGN_OR_RETURN(trust::VerifiedSummary summary, trust::VerifySummary(policy, state_, summary_file, now));
  summary_ = &summary.summary;
  if (summary.summary.store_mode != "archive") {
    return Status::Unsupported("remote " + remote_.name + " serves a bare store; publish from an archive store");
  }
  const repo::SummaryRef* entry = summary.summary.FindRef(options_.ref);
  if (entry == nullptr) return Status::NotFound("remote " + remote_.name + " does not offer ref " + options_.ref);

  LARCH_ASSIGN_OR_RETURN(Bytes commit_bytes, FetchCommit(*entry));
  LARCH_ASSIGN_OR_RETURN(repo::Commit commit, repo::DecodeCommit(commit_bytes));
  LARCH_ASSIGN_OR_RETURN(std::optional<repo::CommitMeta> meta, FetchCommitMeta(entry->commit));
  trust::InstallRequest request{options_.ref, entry->commit, &commit, meta ? &*meta : nullptr, entry,
                                options_.allow_downgrade};
  LARCH_RETURN_IF_ERROR(trust::VerifyCommitForInstall(policy, state_, request));

  const std::string local_ref = LocalRefName(remote_.name, options_.ref);
  LARCH_ASSIGN_OR_RETURN(std::optional<repo::ObjectId> previous, repo::ReadRef(store_, local_ref));
  LARCH_ASSIGN_OR_RETURN(txn_, repo::Transaction::Begin(store_));
  LARCH_RETURN_IF_ERROR(FetchTree(commit.root_tree, commit.root_meta));
  LARCH_RETURN_IF_ERROR(txn_->WriteMetadata(repo::ObjectType::kCommit, commit_bytes).status());
  if (meta) LARCH_RETURN_IF_ERROR(txn_->WriteCommitMeta(entry->commit, repo::EncodeCommitMeta(*meta)));
  txn_->SetRef(local_ref, entry->commit);
  txn_->SetBeforeRefs([&] { return Record(request, summary, previous); });
  LARCH_RETURN_IF_ERROR(txn_->Commit());

  PullResult result;
  result.commit = entry->commit;
  result.previous = previous;
  result.version = entry->version;
  result.up_to_date = previous == entry->commit;
  result.objects_fetched = fetched_;
  result.bytes_received = fetcher_->bytes_received();
  return result;
}

}  // namespace

std::string LocalRefName(const std::string& remote, const std::string& ref) { return remote + ":" + ref; }

Result<PullResult> Pull(repo::Store& store, const trust::RemoteConfig& remote, trust::TrustState& state,
                        const PullOptions& options) {
  Puller puller(store, remote, state, options);
  return puller.Run();
}

}  // namespace larch::pull
