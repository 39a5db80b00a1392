// File: repo/trust/trust_state.h
//
// TrustState: what a device remembers between updates, in an SQLite
// database at <store>/state.db (docs/state-database.md), so that a server, a
// mirror or anyone between them cannot roll it back to an older signed state
// or freeze it on one:
//
//   - per remote, the highest signed summary serial it has accepted (with the
//     summary's SHA-256 and timestamp), so an older summary, validly signed
//     but replayed, is recognised;
//   - per (remote, ref), the version and commit installed, so a downgrade is
//     recognised;
//   - a history of every update attempt: what, by whom, from which commit to
//     which, and whether it went through or was refused and why.
//
// Deciding whether an update is allowed is the caller's job; this class
// records decisions. Everything a successful install records goes through
// one Update applied in one transaction, so a crash leaves either all of it
// or none: never a new serial without the ref it came with.
//
// Opening never deletes or recreates the file: a state.db that is damaged or
// not a database is kCorruption, left as it is, because starting over from an
// empty state would silently drop rollback protection.
//
// One TrustState is one database connection, for one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "repo/objects/object_id.h"
#include "repo/store.h"
#include "src/base/result.h"
#include "src/sqlite/database.h"

namespace larch::trust {

// Times are UTC seconds since the epoch. Integers are stored as SQLite's
// signed 64-bit integers: values above INT64_MAX are refused
// (kInvalidArgument) rather than stored wrapped.

// The newest summary accepted from a remote.
struct RemoteTrust {
  uint64_t summary_serial = 0;
  std::string summary_sha256;  // 64 lower-case hex digits
  uint64_t summary_timestamp = 0;
  uint64_t updated = 0;  // when it was recorded; 0: now

  bool operator==(const RemoteTrust&) const = default;
};

// What is installed from (remote, ref).
struct RefTrust {
  std::string version;
  repo::ObjectId commit;
  uint64_t timestamp = 0;  // the commit's timestamp
  uint64_t updated = 0;    // when it was recorded; 0: now

  bool operator==(const RefTrust&) const = default;
};

// One update attempt, successful or not.
struct HistoryEntry {
  int64_t id = 0;     // assigned when recorded; increases with every entry
  uint64_t time = 0;  // 0: now
  std::string user;   // empty: the login name of the effective user
  std::string action;  // "pull", "bundle-apply", "deploy", …; must not be empty
  std::string remote;
  std::string ref;
  std::optional<repo::ObjectId> from_commit;
  std::optional<repo::ObjectId> to_commit;
  std::string from_version;
  std::string to_version;
  std::string outcome;  // "ok", "refused" or "failed" (the schema refuses others)
  std::string detail;   // why it was refused or failed; free text
  bool downgrade_allowed = false;  // the user explicitly allowed a downgrade

  bool operator==(const HistoryEntry&) const = default;
};

class TrustState {
 public:
  // Everything one install records, applied atomically by Apply(). Later
  // calls for the same remote or (remote, ref) win.
  class Update {
   public:
    void SetRemote(std::string remote, RemoteTrust trust);
    void SetRef(std::string remote, std::string ref, RefTrust trust);
    void AddHistory(HistoryEntry entry);

   private:
    friend class TrustState;
    struct RemoteRow {
      std::string remote;
      RemoteTrust trust;
    };
    struct RefRow {
      std::string remote;
      std::string ref;
      RefTrust trust;
    };
    std::vector<RemoteRow> remotes_;
    std::vector<RefRow> refs_;
    std::vector<HistoryEntry> history_;
  };

  // <store>/state.db.
  static std::string DefaultPath(const repo::Store& store);

  // Opens the state database, creating it when missing and bringing its
  // schema up to date. kCorruption when the file is damaged or not a
  // database (the file is left untouched); kUnsupported when a newer Larch
  // wrote it.
  static Result<std::unique_ptr<TrustState>> Open(const std::string& path);

  // nullopt when nothing was ever recorded for the remote or ref.
  Result<std::optional<RemoteTrust>> GetRemote(std::string_view remote);
  Result<std::optional<RefTrust>> GetRef(std::string_view remote, std::string_view ref);

  // The newest `limit` entries, newest (most recently recorded) first.
  Result<std::vector<HistoryEntry>> History(size_t limit);

  // Records one entry on its own, e.g. a refused update (nothing else
  // changes then).
  Status AddHistory(const HistoryEntry& entry);

  // Records everything in `update` in one transaction: all of it, durably,
  // or (on any error) none of it.
  Status Apply(const Update& update);

  // The connection, for the features whose tables live in the same file
  // (their schema steps are appended to the migrations in trust_state.cc).
  sqlite::Database& database() { return *db_; }

 private:
  explicit TrustState(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}

  Status PutRemote(const Update::RemoteRow& row, uint64_t now);
  Status PutRef(const Update::RefRow& row, uint64_t now);
  Status PutHistory(const HistoryEntry& entry, uint64_t now);
  Result<HistoryEntry> ReadHistoryRow(const sqlite::Statement& st);
  Result<std::optional<repo::ObjectId>> ReadCommitColumn(const sqlite::Statement& st, int column,
                                                         std::string_view what);

  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace larch::trust
