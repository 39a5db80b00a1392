// File: repo/trust/install_check.cc
#include "repo/trust/install_check.h"

#include <algorithm>
#include <sstream>

#include "repo/trust/signing.h"
#include "repo/trust/version_compare.h"

namespace larch::trust {

namespace {

Status Refuse(const InstallRequest& req, std::string_view rule, const std::string& why) {
  return Status::VerifyFailed("commit " + req.commit_id.Hex().substr(0, 16) + " for ref " + req.ref +
                              " refused by the " + std::string(rule) + " rule: " + why);
}

std::string Joined(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out.empty() ? "none" : out;
}

std::string VersionOf(const repo::Commit& commit) {
  auto it = commit.metadata.find(kVersionKey);
  return it == commit.metadata.end() ? "" : it->second;
}

Status CheckSignatureRule(const TrustPolicy& policy, const InstallRequest& req) {
  static const repo::CommitMeta kUnsigned;
  const repo::CommitMeta& meta = req.meta ? *req.meta : kUnsigned;
  Status s = CheckSignatures(policy, SignedKind::kCommit, req.commit_id.array(), meta.signatures,
                             "commit " + req.commit_id.Hex().substr(0, 16));
  if (s.ok()) return s;
  return Status::VerifyFailed("refused by the signature threshold rule: " + s.message());
}

Status CheckRefBinding(const InstallRequest& req) {
  std::vector<std::string> bound = MetadataWords(*req.commit, kRefBindingKey);
  if (std::find(bound.begin(), bound.end(), req.ref) != bound.end()) return Status::Ok();
  return Refuse(req, "ref binding", "it is bound to " + Joined(bound) + ", not to " + req.ref);
}

Status CheckSummaryConsistency(const InstallRequest& req) {
  const repo::SummaryRef* s = req.summary_ref;
  if (s == nullptr) return Status::Ok();
  if (s->commit != req.commit_id) {
    return Refuse(req, "summary consistency", "the signed summary names commit " + s->commit.Hex().substr(0, 16));
  }
  if (s->version != VersionOf(*req.commit) || s->timestamp != req.commit->timestamp) {
    return Refuse(req, "summary consistency",
                  "the signed summary says version '" + s->version + "', the commit says '" +
                      VersionOf(*req.commit) + "'");
  }
  return Status::Ok();
}

Status CheckCompatibility(const TrustPolicy& policy, const InstallRequest& req) {
  if (policy.compatible.empty()) return Status::Ok();
  std::vector<std::string> ids = MetadataWords(*req.commit, kCompatibleKey);
  for (const std::string& id : ids) {
    if (std::find(policy.compatible.begin(), policy.compatible.end(), id) != policy.compatible.end()) {
      return Status::Ok();
    }
  }
  return Refuse(req, "compatibility",
                "it is built for " + Joined(ids) + "; this device is " + Joined(policy.compatible));
}

Status CheckVersion(const TrustPolicy& policy, TrustState& state, const InstallRequest& req) {
  const std::string version = VersionOf(*req.commit);
  if (version.empty()) return Refuse(req, "version", "the commit carries no version metadata");
  LARCH_ASSIGN_OR_RETURN(std::optional<RefTrust> installed, state.GetRef(policy.name, req.ref));
  if (!installed || req.allow_downgrade) return Status::Ok();
  int order = CompareVersions(version, installed->version);
  if (order > 0) return Status::Ok();
  if (order == 0 && installed->commit == req.commit_id) return Status::Ok();  // a re-install
  std::string why = order < 0 ? "version " + version + " is older than " + installed->version +
                                    ", installed from this ref"
                              : "version " + version + " is already installed as another commit (" +
                                    installed->commit.Hex().substr(0, 16) + ")";
  return Refuse(req, "version", why + "; --allow-downgrade overrides");
}

}  // namespace

std::vector<std::string> MetadataWords(const repo::Commit& commit, const std::string& key) {
  std::vector<std::string> words;
  auto it = commit.metadata.find(key);
  if (it == commit.metadata.end()) return words;
  std::istringstream in(it->second);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

Status VerifyCommitForInstall(const TrustPolicy& policy, TrustState& state, const InstallRequest& req) {
  LARCH_RETURN_IF_ERROR(CheckSignatureRule(policy, req));
  LARCH_RETURN_IF_ERROR(CheckRefBinding(req));
  LARCH_RETURN_IF_ERROR(CheckSummaryConsistency(req));
  LARCH_RETURN_IF_ERROR(CheckCompatibility(policy, req));
  return CheckVersion(policy, state, req);
}

RefTrust RefTrustFor(const InstallRequest& req) {
  RefTrust t;
  t.version = VersionOf(*req.commit);
  t.commit = req.commit_id;
  t.timestamp = req.commit->timestamp;
  return t;
}

}  // namespace larch::trust
