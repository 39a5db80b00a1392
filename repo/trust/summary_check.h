// File: repo/trust/summary_check.h
//
// Verifying a remote's signed summary before anything in it is used. Each
// refusal is kVerifyFailed and names its rule:
//   summary signature threshold   as for commits, over SignedKind::kSummary
//   expiry                        `now` is before the summary's expiry
//                                 (indefinite freeze: a replayed old summary
//                                 stops working when it expires)
//   serial                        not lower than the highest serial accepted
//                                 from this remote, and an equal serial only
//                                 with identical content (rollback, freeze)
#pragma once

#include <string>

#include "repo/objects/summary.h"
#include "repo/trust/trust_policy.h"
#include "repo/trust/trust_state.h"

namespace larch::trust {

struct VerifiedSummary {
  repo::Summary summary;
  std::string sha256;  // hex SHA-256 of the signed body
  // What accepting it records (applied together with the ref it guards).
  RemoteTrust trust() const;
};

Result<VerifiedSummary> VerifySummary(const TrustPolicy& policy, TrustState& state, ByteSpan signed_file,
                                      uint64_t now);

}  // namespace larch::trust
