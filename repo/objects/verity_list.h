// File: repo/objects/verity_list.h
//
// VerityList: the fs-verity digest (src/crypto/fsverity_digest.h) of every
// regular file a commit's tree reaches, keyed by file object id, strictly
// increasing by id (so each id once and one encoding). The commit names it
// by its id in the metadata key `verity-list`, so the commit's signatures
// cover every digest (docs/verity.md). Format: docs/formats.md, "veritylist".
#pragma once

#include <optional>
#include <vector>

#include "repo/objects/commit.h"
#include "repo/objects/object_id.h"
#include "src/crypto/fsverity_digest.h"

namespace larch::repo {

struct VerityEntry {
  ObjectId file;
  crypto::FsVerityDigest digest{};
  bool operator==(const VerityEntry&) const = default;
};

struct VerityList {
  std::vector<VerityEntry> entries;
  bool operator==(const VerityList&) const = default;
  // The entry of `file`; nullptr when the list has none.
  const VerityEntry* Find(const ObjectId& file) const;
};

// The commit metadata key that names a commit's list.
inline constexpr std::string_view kVerityListKey = "verity-list";
// Where tree walks (reachability, delta plans, messages) meet the list: it
// has no path in the tree.
inline constexpr std::string_view kVerityListPath = "(verity list)";

Status ValidateVerityList(const VerityList& list);
Bytes EncodeVerityList(const VerityList& list);
Result<VerityList> DecodeVerityList(ByteSpan data);

// The id of the commit's list: nullopt for a commit without one (made
// before lists, or with --no-verity-list); kCorruption when the key holds
// something that is not an object id.
Result<std::optional<ObjectId>> VerityListOf(const Commit& commit);

}  // namespace larch::repo
