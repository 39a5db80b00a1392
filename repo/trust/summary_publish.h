// File: repo/trust/summary_publish.h
//
// The publisher's side of the summary: built from the store's branches
// (refs/heads), the deltas on offer and the store's dictionaries, signed,
// and written atomically to <store>/summary, where a plain static web server
// serves it with the objects. The serial grows by one with every
// publication, so devices can refuse an older one.
#pragma once

#include <cstdint>
#include <vector>

#include "repo/objects/signed_envelope.h"
#include "repo/objects/summary.h"
#include "repo/store.h"
#include "src/crypto/ed25519.h"

namespace larch::trust {

inline constexpr char kSummaryFile[] = "summary";
inline constexpr uint64_t kDefaultSummaryLifetime = 7 * 24 * 3600;

struct PublishOptions {
  uint64_t now = 0;                        // publication time (seconds, UTC)
  uint64_t lifetime = kDefaultSummaryLifetime;  // expires = now + lifetime
  std::vector<repo::SummaryDelta> deltas;  // what repo/delta found in the store
  std::map<std::string, std::string> metadata;
  // Rollout control (docs/rollouts.md). What the previous summary had is
  // kept for each ref whose head did not move; a new head starts with
  // none. A change names a branch of the store:
  struct RolloutChange {
    std::string ref;
    uint32_t basis_points = 10000;  // 0..10000; 10000 (and not halted): no staging
    bool halt = false;              // halt where it is (basis_points ignored)
  };
  std::vector<RolloutChange> rollouts;
  struct RecallChange {
    std::string ref;
    repo::ObjectId to;  // a commit in the store, an earlier release of ref
  };
  std::vector<RecallChange> recalls;
};

// The next summary: serial one above the current summary's (1 if none).
// kInvalidArgument for a rollout or recall of a ref the store does not
// have, or a recall back to the head itself.
Result<repo::Summary> BuildSummary(const repo::Store& store, const PublishOptions& options);

// Signs `summary` with every key and replaces <store>/summary.
Status WriteSignedSummary(repo::Store& store, const repo::Summary& summary,
                          const std::vector<crypto::Ed25519PrivateKey>& keys);

// Adds (or renews) one signature on the existing summary without changing
// it: how a second key holder countersigns for a threshold.
Status CountersignSummary(repo::Store& store, const crypto::Ed25519PrivateKey& key);

// nullopt when the store has no summary yet.
Result<std::optional<repo::SignedEnvelope>> ReadSignedSummary(const repo::Store& store);

}  // namespace larch::trust
