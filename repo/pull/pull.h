// File: repo/pull/pull.h
//
// Pull: bring one ref of a remote into the local store, trusting nothing
// that was not verified (docs/security.md):
//   1. the summary: signatures, expiry, serial (repo/trust/summary_check.h);
//   2. the commit, fetched with the summary's exact size, hashed against its
//      id, and its commitmeta: the one install check
//      (repo/trust/install_check.h) before any tree object is fetched;
//   3. a delta the summary offers from a commit the device has (its
//      superblock checked against the summary's size and SHA-256, then
//      repo/delta's apply, which runs the same install check), else every
//      missing dirtree, dirmeta and file object, each fetched with a limit
//      (signed sizes for file content), hashed against its id before it is
//      staged, and converted to the local store's mode;
//   Downloads go through a DownloadCache (resumable across restarts) and
//   several at a time (Fetcher::FetchAll); a free-space check runs before
//   content is downloaded;
//   4. one transaction: objects durable, then the trust state (serial,
//      version, history) in one SQLite transaction, then the ref
//      <remote>:<ref>, last.
// A refused or failed pull leaves the store's objects and refs, and the
// trust records (serials, installed versions), as they were (staged objects
// are discarded); the attempt and its reason are added to the history.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "repo/pull/fetcher.h"
#include "repo/store.h"
#include "repo/trust/remote_config.h"
#include "repo/trust/rollout.h"
#include "repo/trust/trust_state.h"

namespace larch::pull {

struct PullOptions {
  std::string ref;               // the ref on the remote
  bool allow_downgrade = false;  // the only way past the version rule; recorded in history
  uint64_t now = 0;              // 0: the current time (tests pin it)
  FetchOptions fetch;
  // Verify the summary and commit, then report what would be downloaded
  // without downloading content or changing anything (the object path
  // fetches the tree's metadata objects to know which files are missing).
  bool dry_run = false;
  bool use_deltas = true;
  // The commit the caller was told to install (a hawkBit pointer): the
  // pull is refused before anything is fetched past the summary when the
  // signed summary's head of `ref` is another one.
  std::optional<repo::ObjectId> expected_commit;
  // Follow the publisher's rollout control (trust/rollout.h): unattended
  // upgrades set it; a plain pull fetches the head whatever it says.
  std::optional<trust::RolloutContext> rollout;
  // Refuse to start when the store's filesystem would keep less than this
  // after the update (on top of the update's own size).
  uint64_t min_free_space = 64u << 20;
  ProgressFn progress;
};

struct PullResult {
  repo::ObjectId commit;
  std::string method;  // "delta" (with its from commit), "objects" or "none" (up to date)
  std::optional<repo::ObjectId> delta_from;
  uint64_t download_bytes = 0;  // to download (dry run), or downloaded content
  uint64_t write_bytes = 0;     // what the update will write, uncompressed (the space check)
  std::optional<repo::ObjectId> previous;  // what <remote>:<ref> named before
  std::string version;
  bool up_to_date = false;
  uint64_t objects_fetched = 0;
  uint64_t bytes_received = 0;  // on the wire, every request included
  // Rollout control: not empty when the head is staged beyond this device,
  // halted or recalled (nothing fetched; `commit` is the head).
  std::string withheld;
  bool recall = false;        // `commit` is a recall's target, older than the recalled head
  std::string recall_reason;  // why, as recorded in the history
};

// The local ref a pulled ref is kept under: "<remote>:<ref>".
std::string LocalRefName(const std::string& remote, const std::string& ref);

Result<PullResult> Pull(repo::Store& store, const trust::RemoteConfig& remote, trust::TrustState& state,
                        const PullOptions& options);

}  // namespace larch::pull
