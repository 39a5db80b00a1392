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

// Rollouts and recalls: the previous summary's where the head stayed, then
// the requested changes; sorted by ref as the format wants.
Status ApplyRolloutControl(const repo::Store& store, const repo::Summary& old, const PublishOptions& options,
                           repo::Summary& s) {
  std::map<std::string, repo::SummaryRollout> rollouts;
  std::map<std::string, repo::SummaryRecall> recalls;
  for (const repo::SummaryRollout& r : old.rollouts) {
    const repo::SummaryRef* head = s.FindRef(r.ref);
    if (head != nullptr && head->commit == r.commit) rollouts[r.ref] = r;
  }
  for (const repo::SummaryRecall& r : old.recalls) {
    const repo::SummaryRef* head = s.FindRef(r.ref);
    if (head != nullptr && head->commit == r.recalled) recalls[r.ref] = r;
  }
  for (const PublishOptions::RolloutChange& c : options.rollouts) {
    const repo::SummaryRef* head = s.FindRef(c.ref);
    if (head == nullptr) return Status::InvalidArgument("--rollout: the store has no branch " + c.ref);
    if (c.basis_points > 10000) return Status::InvalidArgument("--rollout: a share above 100%");
    auto it = rollouts.find(c.ref);
    if (c.halt) {
      const uint32_t where = it != rollouts.end() ? it->second.basis_points : 10000;
      rollouts[c.ref] = repo::SummaryRollout{c.ref, head->commit, where, true};
    } else if (c.basis_points == 10000) {
      rollouts.erase(c.ref);
    } else {
      rollouts[c.ref] = repo::SummaryRollout{c.ref, head->commit, c.basis_points, false};
    }
  }
  for (const PublishOptions::RecallChange& c : options.recalls) {
    const repo::SummaryRef* head = s.FindRef(c.ref);
    if (head == nullptr) return Status::InvalidArgument("--recall: the store has no branch " + c.ref);
    if (head->commit == c.to) {
      return Status::InvalidArgument("--recall " + c.ref + ": --to names the head itself; recall goes back to an "
                                     "earlier release");
    }
    Result<repo::SummaryRef> to = RefEntry(store, c.ref, c.to);
    if (!to.ok()) return to.status().WithContext("--recall " + c.ref + " --to " + c.to.Hex());
    recalls[c.ref] = repo::SummaryRecall{c.ref, head->commit, *to};
  }
  s.rollouts.clear();
  for (auto& [ref, r] : rollouts) s.rollouts.push_back(r);
  s.recalls.clear();
  for (auto& [ref, r] : recalls) s.recalls.push_back(r);
  return Status::Ok();
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
  repo::Summary old;
  if (previous) {
    LARCH_ASSIGN_OR_RETURN(old, repo::DecodeSummary(previous->body));
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
  LARCH_RETURN_IF_ERROR(ApplyRolloutControl(store, old, options, s));
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
