// File: repo/trust/summary_check.cc
#include "repo/trust/summary_check.h"

#include "repo/objects/signed_envelope.h"
#include "repo/trust/signing.h"
#include "src/base/hex.h"
#include "src/base/text_format.h"

namespace larch::trust {

namespace {

Status Refuse(const TrustPolicy& policy, std::string_view rule, const std::string& why) {
  return Status::VerifyFailed("summary of remote " + policy.name + " refused by the " + std::string(rule) +
                              " rule: " + why);
}

Status CheckSerial(const TrustPolicy& policy, TrustState& state, const VerifiedSummary& v) {
  LARCH_ASSIGN_OR_RETURN(std::optional<RemoteTrust> seen, state.GetRemote(policy.name));
  if (!seen) return Status::Ok();
  const uint64_t serial = v.summary.serial;
  if (serial < seen->summary_serial) {
    return Refuse(policy, "serial",
                  "serial " + std::to_string(serial) + " is older than serial " +
                      std::to_string(seen->summary_serial) + " already accepted (a replayed summary)");
  }
  if (serial == seen->summary_serial && v.sha256 != seen->summary_sha256) {
    return Refuse(policy, "serial",
                  "serial " + std::to_string(serial) + " was already accepted with different content");
  }
  return Status::Ok();
}

}  // namespace

RemoteTrust VerifiedSummary::trust() const {
  RemoteTrust t;
  t.summary_serial = summary.serial;
  t.summary_sha256 = sha256;
  t.summary_timestamp = summary.timestamp;
  return t;
}

Result<VerifiedSummary> VerifySummary(const TrustPolicy& policy, TrustState& state, ByteSpan signed_file,
                                      uint64_t now) {
  Result<repo::SignedEnvelope> env =
      repo::DecodeSignedEnvelope(signed_file, repo::SignedKind::kSummary, repo::kMaxSummarySize);
  if (!env.ok()) return env.status().WithContext("summary of remote " + policy.name);
  const crypto::Sha256Digest digest = crypto::Sha256::Hash(env->body);
  Status sigs = CheckSignatures(policy, repo::SignedKind::kSummary, digest, env->signatures, "summary");
  if (!sigs.ok()) return Refuse(policy, "summary signature threshold", sigs.message());
  // Only signed bytes are parsed beyond the envelope.
  Result<repo::Summary> summary = repo::DecodeSummary(env->body);
  if (!summary.ok()) return summary.status().WithContext("summary of remote " + policy.name);
  VerifiedSummary v{std::move(summary).value(), HexEncode(digest)};
  if (now >= v.summary.expires) {
    return Refuse(policy, "expiry",
                  "it expired at " + FormatUtc(v.summary.expires) + " (now " + FormatUtc(now) +
                      "); the publisher must re-sign it with `larch summary --update`");
  }
  LARCH_RETURN_IF_ERROR(CheckSerial(policy, state, v));
  return v;
}

}  // namespace larch::trust
