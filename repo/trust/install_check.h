// File: repo/trust/install_check.h
//
// The one verification every way into a device goes through — pull, delta
// apply, offline bundle and deploy — before a commit may become a ref or a
// deployment. Each refusal is kVerifyFailed and names its rule:
//   signature threshold   policy.threshold valid signatures by distinct,
//                         non-revoked keys of the keyring (arbitrary
//                         installation, key compromise below threshold)
//   ref binding           the commit's signed "ref-binding" metadata names the
//                         ref it is installed as (mix-and-match, a mirror
//                         serving one ref's commit as another's)
//   summary consistency   the signed summary's entry agrees with the commit
//                         (commit id, version, timestamp)
//   compatibility         the commit's "compatible" ids include one of the
//                         device's (wrong software installation)
//   version               newer than the version installed from this ref,
//                         unless allow_downgrade (rollback attacks)
// See docs/security.md.
#pragma once

#include <string>

#include "repo/objects/commit.h"
#include "repo/objects/commitmeta.h"
#include "repo/objects/summary.h"
#include "repo/trust/trust_policy.h"
#include "repo/trust/trust_state.h"

namespace larch::trust {

// Commit metadata keys the checks read (see repo/objects/commit.h).
inline constexpr char kRefBindingKey[] = "ref-binding";  // space-separated refs
inline constexpr char kCompatibleKey[] = "compatible";   // space-separated ids
inline constexpr char kVersionKey[] = "version";

struct InstallRequest {
  std::string ref;  // as named on the remote, e.g. "os/stable"
  repo::ObjectId commit_id;
  const repo::Commit* commit = nullptr;
  const repo::CommitMeta* meta = nullptr;          // nullptr: the commit is unsigned
  const repo::SummaryRef* summary_ref = nullptr;   // the signed summary's entry, if any
  bool allow_downgrade = false;
};

Status VerifyCommitForInstall(const TrustPolicy& policy, TrustState& state, const InstallRequest& request);

// What a successful install records for (policy.name, request.ref).
RefTrust RefTrustFor(const InstallRequest& request);

// Space-separated words of a metadata value ("" when the key is absent).
std::vector<std::string> MetadataWords(const repo::Commit& commit, const std::string& key);

}  // namespace larch::trust
