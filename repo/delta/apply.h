// File: repo/delta/apply.h
//
// Applying a delta to a store (bare or archive), with the same rules
// however the delta arrived (directory, bundle, download):
//   1. the superblock envelope decodes strictly and its signatures meet the
//      policy's threshold (trust::CheckSignatures) before anything else is
//      read;
//   2. the target commit it carries goes through
//      trust::VerifyCommitForInstall (commit signatures, ref binding,
//      compatibility, rollback) before any part is read;
//   3. each part is spooled to the store's tmp/ while its size and SHA-256
//      are checked against the superblock, and only then decompressed,
//      streamed, operation by operation; each operation must be the one the
//      superblock lists next;
//   4. every object produced is hashed and must equal its id before it is
//      staged in the transaction (patches: after applying to a base the
//      store already has, itself re-hashed when read);
//   5. the target's whole tree must then be present (in the store or
//      produced), and only then does Transaction::Commit publish the
//      objects, the commit and, last, the ref.
// Memory: one part's zstd window plus, for a small patch, base + target +
// patch (limits.h); new files larger than kMaxPatchInput are streamed
// through a temporary file, and so are bsdiff patches of big files (base
// read with positioned reads, one block of the patch at a time). A failure or crash at any point leaves the store's
// objects and refs as they were (the transaction's staging is garbage).
#pragma once

#include <optional>
#include <string>

#include "repo/delta/source.h"
#include "repo/delta/superblock.h"
#include "repo/objects/commit.h"
#include "repo/objects/commitmeta.h"
#include "repo/objects/signed_envelope.h"
#include "repo/store.h"
#include "src/base/progress.h"
#include "repo/trust/trust_policy.h"
#include "repo/trust/trust_state.h"

namespace larch::delta {

// What a device demands of a delta: the same rules as a pull.
struct ApplyVerification {
  const trust::TrustPolicy* policy = nullptr;
  trust::TrustState* state = nullptr;  // rollback protection; records the install
  std::string ref;                     // the ref the commit is installed as
  bool allow_downgrade = false;
  // A pull's verified summary, recorded with the install in one step.
  const trust::RemoteTrust* summary = nullptr;
};

struct ApplyOptions {
  // kDeltaSuperblock for deltas, kBundle for bundles: a signature made for
  // one never counts for the other.
  repo::SignedKind envelope_kind = repo::SignedKind::kDeltaSuperblock;
  std::optional<std::string> ref;  // local ref moved to the target at the end
  // nullopt: no signature or install checks (a publisher's own store, tests).
  std::optional<ApplyVerification> verify;
  // Objects staged in parallel (filesystem latency, not CPU, is the limit);
  // 0 stages each one in turn, in a deterministic order (crash tests).
  unsigned threads = 4;
  // Phase "apply": bytes of the parts' operations applied, of the
  // superblock's uncompressed part sizes.
  ProgressFn progress = nullptr;
};

struct ApplyStats {
  repo::ObjectId commit;
  uint64_t parts = 0;
  uint64_t bytes_received = 0;  // compressed part bytes
  uint64_t objects_written = 0;
  uint64_t objects_present = 0;  // already in the store
  // Patches streamed from the part, with nothing else in flight, and
  // patches streamed by a worker beside the decoder.
  uint64_t patches_streamed_inline = 0;
  uint64_t patches_streamed_by_workers = 0;
};

// Reads and checks the superblock of `source` (step 1 only).
Result<DeltaSuperblock> ReadVerifiedSuperblock(DeltaSource& source, const ApplyOptions& options);

Result<ApplyStats> ApplyDelta(repo::Store& store, DeltaSource& source, const ApplyOptions& options);

}  // namespace larch::delta
