// File: repo/trust/summary_publish.cc
#include "repo/trust/summary_publish.h"

#include <charconv>

#include "repo/refs.h"
#include "repo/trust/install_check.h"
#include "repo/trust/signing.h"
#include "src/fs/atomic.h"

namespace larch::trust {

namespace {

Result<repo::SummaryRef> RefEntry(const repo::Store& store, const std::string& name, const repo::ObjectId& id) {
  LARCH_ASSIGN_OR_RETURN(Bytes encoded, store.ReadMetadataBytes({id, repo::ObjectType::kCommit}));
  LARCH_ASSIGN_OR_RETURN(repo::Commit commit, store.ReadCommit(id));
  auto version = commit.metadata.find(kVersionKey);
  return repo::SummaryRef{name, id, encoded.size(),
                          version == commit.metadata.end() ? "" : version->second, commit.timestamp};
}

Result<std::vector<repo::SummaryDictionary>> Dictionaries(const repo::Store& store) {
  std::vector<repo::SummaryDictionary> out;
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, store.fs().OpenDirPath(store.root_fd(), "dictionaries"));
  LARCH_ASSIGN_OR_RETURN(auto entries, store.fs().ReadDir(dir.get()));
  for (const auto& e : entries) {
    // DictionaryFileName(id) is "<8 hex>.zdict"; anything else is not ours.
    if (e.name.size() != 14 || e.name.substr(8) != ".zdict") continue;
    // from_chars, not stoul: a stray "zzzzzzzz.zdict" must not throw.
    uint32_t id = 0;
    auto [end, ec] = std::from_chars(e.name.data(), e.name.data() + 8, id, 16);
    if (ec != std::errc() || end != e.name.data() + 8) continue;
    if (repo::Store::DictionaryFileName(id) != e.name) continue;
    LARCH_ASSIGN_OR_RETURN(Bytes content, fs::ReadFileFully(store.fs(), dir.get(), e.name, 16u << 20));
    out.push_back({id, content.size(), crypto::Sha256::Hash(content)});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

Status WriteEnvelope(repo::Store& store, const repo::SignedEnvelope& env) {
  Bytes encoded = repo::EncodeSignedEnvelope(env);
  return fs::WriteFileAtomic(store.fs(), store.root_fd(), kSummaryFile, encoded)
      .WithContext("writing " + store.path() + "/summary");
}

}  // namespace

Result<std::optional<repo::SignedEnvelope>> ReadSignedSummary(const repo::Store& store) {
  Result<Bytes> data = fs::ReadFileFully(store.fs(), store.root_fd(), kSummaryFile, repo::kMaxSummarySize);
  if (!data.ok() && data.status().IsNotFound()) return std::optional<repo::SignedEnvelope>();
  if (!data.ok()) return data.status();
  LARCH_ASSIGN_OR_RETURN(repo::SignedEnvelope env,
                         repo::DecodeSignedEnvelope(*data, repo::SignedKind::kSummary, repo::kMaxSummarySize));
  return std::optional<repo::SignedEnvelope>(std::move(env));
}

Result<repo::Summary> BuildSummary(const repo::Store& store, const PublishOptions& options) {
  repo::Summary s;
  LARCH_ASSIGN_OR_RETURN(std::optional<repo::SignedEnvelope> previous, ReadSignedSummary(store));
  s.serial = 1;
  if (previous) {
    LARCH_ASSIGN_OR_RETURN(repo::Summary old, repo::DecodeSummary(previous->body));
    s.serial = old.serial + 1;
  }
  s.timestamp = options.now;
  s.expires = options.now + options.lifetime;
  s.store_mode = store.mode() == repo::StoreMode::kArchive ? "archive" : "bare";
  LARCH_ASSIGN_OR_RETURN(auto refs, repo::ListRefs(store));
  for (const auto& [name, id] : refs) {
    if (name.find(':') != std::string::npos) continue;  // pulled refs are not ours to offer
    LARCH_ASSIGN_OR_RETURN(repo::SummaryRef entry, RefEntry(store, name, id));
    s.refs.push_back(std::move(entry));
  }
  s.deltas = options.deltas;
  std::sort(s.deltas.begin(), s.deltas.end(), [](const auto& a, const auto& b) {
    return std::make_tuple(a.to, a.from.has_value(), a.from.value_or(repo::ObjectId())) <
           std::make_tuple(b.to, b.from.has_value(), b.from.value_or(repo::ObjectId()));
  });
  LARCH_ASSIGN_OR_RETURN(s.dictionaries, Dictionaries(store));
  s.metadata = options.metadata;
  LARCH_RETURN_IF_ERROR(repo::ValidateSummary(s));
  return s;
}

Status WriteSignedSummary(repo::Store& store, const repo::Summary& summary,
                          const std::vector<crypto::Ed25519PrivateKey>& keys) {
  repo::SignedEnvelope env;
  env.kind = repo::SignedKind::kSummary;
  env.body = repo::EncodeSummary(summary);
  const crypto::Sha256Digest digest = crypto::Sha256::Hash(env.body);
  for (const crypto::Ed25519PrivateKey& key : keys) {
    LARCH_ASSIGN_OR_RETURN(repo::CommitSignature sig, SignDigest(key, repo::SignedKind::kSummary, digest));
    repo::AddSignature(env.signatures, sig);
  }
  return WriteEnvelope(store, env);
}

Status CountersignSummary(repo::Store& store, const crypto::Ed25519PrivateKey& key) {
  LARCH_ASSIGN_OR_RETURN(std::optional<repo::SignedEnvelope> env, ReadSignedSummary(store));
  if (!env) return Status::NotFound("the store has no summary yet (see larch summary --update)");
  LARCH_ASSIGN_OR_RETURN(repo::CommitSignature sig,
                         SignDigest(key, repo::SignedKind::kSummary, crypto::Sha256::Hash(env->body)));
  repo::AddSignature(env->signatures, sig);
  return WriteEnvelope(store, *env);
}

}  // namespace larch::trust
