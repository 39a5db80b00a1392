// File: repo/pull/repair.h
//
// Repair: replaces damaged file objects of a store with good copies fetched
// from a remote (docs/verity.md, "Repair"). Trust needs no signature here:
// the object's id comes from the store's own signed trees, and what arrives
// is checked against it (SHA-256 of header and content) before it is
// staged; a dictionary the object's zstd frame names is fetched too, and a
// wrong one cannot produce bytes that match the id. Nothing but the named
// objects is fetched. The replacement is published by one transaction (so
// sealed with fs-verity where the store seals); hard links to the damaged
// inode, a deployment's, are the caller's to relink.
#pragma once

#include <map>
#include <vector>

#include "repo/pull/fetcher.h"
#include "repo/store.h"
#include "repo/trust/remote_config.h"
#include "repo/verity_seal.h"

namespace larch::pull {

struct RepairResult {
  std::vector<repo::ObjectId> replaced;
  uint64_t objects_fetched = 0;
  uint64_t requests = 0;
  uint64_t bytes_received = 0;
};

// Fetches each file object of `sizes` (id -> content size, from the signed
// tree that names it) from `remote`, checks it against its id, and replaces
// the store's copy. Then checks each replacement as a deploy would
// (repo::CheckFileObject against `digests`, the commits' verity lists).
Result<RepairResult> RepairFileObjects(repo::Store& store, const trust::RemoteConfig& remote,
                                       const std::map<repo::ObjectId, uint64_t>& sizes,
                                       const repo::VerityDigests& digests, const FetchOptions& options = {});

}  // namespace larch::pull
