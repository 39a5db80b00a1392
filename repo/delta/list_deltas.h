// File: repo/delta/list_deltas.h
//
// The deltas a store offers (deltas/<from|empty>-<to>/superblock), for the
// summary: each with its superblock's size and SHA-256, so a client can
// fetch the superblock with a hard size limit and check it before parsing.
#pragma once

#include <optional>
#include <vector>

#include "repo/objects/object_id.h"
#include "repo/store.h"
#include "src/crypto/sha256.h"

namespace larch::delta {

struct DeltaInfo {
  std::optional<repo::ObjectId> from;
  repo::ObjectId to;
  uint64_t superblock_size = 0;
  crypto::Sha256Digest superblock_sha256{};
};

// Sorted by (to, from). Directories whose names are not delta names, or
// that lack a superblock, are skipped; a store without deltas/ has none.
Result<std::vector<DeltaInfo>> ListDeltas(const repo::Store& store);

}  // namespace larch::delta
