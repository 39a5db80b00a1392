// File: repo/objects/summary.h
//
// Summary: what a repository offers, signed by its publisher (the body of a
// SignedEnvelope of kind kSummary, served as `summary` at the repository's
// root). A device trusts nothing about a remote before it has verified one:
//   refs        ref -> commit, with the commit's version and timestamp (so a
//               mirror cannot mix and match commits and refs) and the
//               commit object's exact size (the download limit);
//   deltas      superblock size and SHA-256 of every delta on offer;
//   dictionaries  the zstd dictionaries objects were compressed with;
//   serial      grows with every publication: an older summary is refused;
//   expires     after this instant the summary is refused (freeze attacks).
// Format: docs/formats.md, "summary".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "repo/objects/limits.h"
#include "repo/objects/object_id.h"
#include "src/base/bytes.h"
#include "src/base/result.h"
#include "src/crypto/sha256.h"

namespace larch::repo {

struct SummaryRef {
  std::string name;      // e.g. "os/stable"
  ObjectId commit;
  uint64_t commit_size = 0;  // bytes of the encoded commit object
  std::string version;   // the commit's "version" metadata ("" if none)
  uint64_t timestamp = 0;    // the commit's timestamp
  bool operator==(const SummaryRef&) const = default;
};

struct SummaryDelta {
  std::optional<ObjectId> from;  // nullopt: a full delta ("from empty")
  ObjectId to;
  uint64_t superblock_size = 0;
  crypto::Sha256Digest superblock_sha256{};
  bool operator==(const SummaryDelta&) const = default;
};

// A staged rollout of a ref's head (docs/rollouts.md): only devices whose
// bucket (repo/trust/rollout.h) is below `basis_points` (1/100 of a
// percent, 0..10000) may install `commit`; `halted`: none may, from now
// on. Tied to the head it was published for: a new head starts unstaged.
struct SummaryRollout {
  std::string ref;
  ObjectId commit;  // the ref's head in this summary
  uint32_t basis_points = 10000;
  bool halted = false;
  bool operator==(const SummaryRollout&) const = default;
};

// A recall: the ref's head `recalled` is withdrawn; devices running it go
// back to `to` (described like a ref entry: its commit, the commit
// object's size, version and timestamp, so it is fetched and checked as
// a head is), although it is older. Devices not running it are left alone.
struct SummaryRecall {
  std::string ref;
  ObjectId recalled;  // the ref's head in this summary
  SummaryRef to;      // to.name == ref
  bool operator==(const SummaryRecall&) const = default;
};

struct SummaryDictionary {
  uint32_t id = 0;
  uint64_t size = 0;
  crypto::Sha256Digest sha256{};
  bool operator==(const SummaryDictionary&) const = default;
};

struct Summary {
  uint64_t serial = 0;
  uint64_t timestamp = 0;  // when it was published (seconds, UTC)
  uint64_t expires = 0;    // refused after this instant (seconds, UTC)
  std::string store_mode;  // "archive" or "bare": how objects are served
  std::vector<SummaryRef> refs;                 // strictly sorted by name
  std::vector<SummaryDelta> deltas;             // strictly sorted by (to, from)
  std::vector<SummaryDictionary> dictionaries;  // strictly sorted by id
  std::map<std::string, std::string> metadata;  // keys as commit metadata keys
  // Rollout control (format version 2; a summary without any is version 1,
  // which devices before rollouts read too). At most one of each per ref,
  // strictly sorted by ref, each naming a ref of `refs` and its head.
  std::vector<SummaryRollout> rollouts;
  std::vector<SummaryRecall> recalls;
  bool operator==(const Summary&) const = default;

  const SummaryRef* FindRef(std::string_view name) const;
  const SummaryRollout* FindRollout(std::string_view ref) const;
  const SummaryRecall* FindRecall(std::string_view ref) const;
};

Status ValidateSummary(const Summary& summary);
Bytes EncodeSummary(const Summary& summary);
Result<Summary> DecodeSummary(ByteSpan data);

}  // namespace larch::repo
