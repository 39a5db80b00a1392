// File: repo/pull/pull.h
//
// Pull: bring one ref of a remote into the local store, trusting nothing
// that was not verified (docs/security.md):
//   1. the summary: signatures, expiry, serial (repo/trust/summary_check.h);
//   2. the commit, fetched with the summary's exact size, hashed against its
//      id, and its commitmeta: the one install check
//      (repo/trust/install_check.h) before any tree object is fetched;
//   3. every missing dirtree, dirmeta and file object, each fetched with a
//      limit (signed sizes for file content), hashed against its id before
//      it is staged, and converted to the local store's mode;
//   4. one transaction: objects durable, then the trust state (serial,
//      version, history) in one SQLite transaction, then the ref
//      <remote>:<ref>, last.
// A refused or failed pull leaves the store's objects and refs, and the
// trust state, as they were (staged objects are discarded).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "repo/pull/fetcher.h"
#include "repo/store.h"
#include "repo/trust/remote_config.h"
#include "repo/trust/trust_state.h"

namespace larch::pull {

struct PullOptions {
  std::string ref;               // the ref on the remote
  bool allow_downgrade = false;  // the only way past the version rule; recorded in history
  uint64_t now = 0;              // 0: the current time (tests pin it)
  FetchOptions fetch;
};

struct PullResult {
  repo::ObjectId commit;
  std::optional<repo::ObjectId> previous;  // what <remote>:<ref> named before
  std::string version;
  bool up_to_date = false;
  uint64_t objects_fetched = 0;
  uint64_t bytes_received = 0;  // on the wire, every request included
};

// The local ref a pulled ref is kept under: "<remote>:<ref>".
std::string LocalRefName(const std::string& remote, const std::string& ref);

Result<PullResult> Pull(repo::Store& store, const trust::RemoteConfig& remote, trust::TrustState& state,
                        const PullOptions& options);

}  // namespace larch::pull
