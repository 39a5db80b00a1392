// File: repo/objects/commit.h
//
// Commit: a root tree with its metadata. Well-known metadata keys (all text):
//   version       monotonic release version, compared for rollback protection
//   os, arch      what the tree is
//   compatible    space-separated board/hardware ids it may be installed on
//   content-size  total bytes of file content (decimal)
//   ref-binding   space-separated refs the commit may be installed as (set
//                 to the branch by commit; checked by repo/trust)
// Keys match [a-z0-9][a-z0-9._-]*, at most 64 bytes; values at most 64 KiB;
// the map is sorted (std::map), so its encoding is canonical.
// Format: docs/formats.md, "commit".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "repo/objects/limits.h"
#include "repo/objects/object_id.h"

namespace larch::repo {

struct Commit {
  ObjectId root_tree;
  ObjectId root_meta;
  std::optional<ObjectId> parent;
  uint64_t timestamp = 0;  // seconds since the epoch, UTC
  std::string subject;
  std::string body;
  std::map<std::string, std::string> metadata;
  bool operator==(const Commit&) const = default;
};

bool IsValidMetadataKey(std::string_view key);
Status ValidateCommit(const Commit& commit);
Bytes EncodeCommit(const Commit& commit);
Result<Commit> DecodeCommit(ByteSpan data);

}  // namespace larch::repo
