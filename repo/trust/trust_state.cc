// File: repo/trust/trust_state.cc
// The trust state's schema and the SQL that reads and writes it. The schema
// is documented, table by table, in docs/state-database.md.
#include "repo/trust/trust_state.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace larch::trust {
namespace {

using sqlite::Statement;

// The schema, one entry per version: a database at user_version N has run
// exactly the first N entries (sqlite::Database::Migrate).
//
// APPEND-ONLY. Devices in the field hold databases at every version ever
// shipped; changing or reordering an entry would give them a schema that
// differs from a new device's. A change is a new entry at the end (the
// deployment tables are entry 2). Check constraints repeat here what the
// code already ensures, so that a hand edit with the sqlite3 tool cannot
// store what the code would misread.
constexpr std::string_view kMigrations[] = {
    // 1: trust state and update history.
    R"sql(
CREATE TABLE remotes (
  remote            TEXT NOT NULL PRIMARY KEY,
  summary_serial    INTEGER NOT NULL CHECK (summary_serial >= 0),
  summary_sha256    TEXT NOT NULL
                    CONSTRAINT remotes_summary_sha256_hex
                    CHECK (length(summary_sha256) = 64 AND summary_sha256 NOT GLOB '*[^0-9a-f]*'),
  summary_timestamp INTEGER NOT NULL CHECK (summary_timestamp >= 0),
  updated           INTEGER NOT NULL CHECK (updated >= 0)
) STRICT;
CREATE TABLE refs (
  remote    TEXT NOT NULL,
  ref       TEXT NOT NULL,
  version   TEXT NOT NULL,
  commit_id TEXT NOT NULL
            CONSTRAINT refs_commit_id_hex
            CHECK (length(commit_id) = 64 AND commit_id NOT GLOB '*[^0-9a-f]*'),
  timestamp INTEGER NOT NULL CHECK (timestamp >= 0),
  updated   INTEGER NOT NULL CHECK (updated >= 0),
  PRIMARY KEY (remote, ref)
) STRICT;
CREATE TABLE history (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  time              INTEGER NOT NULL CHECK (time >= 0),
  user              TEXT NOT NULL,
  action            TEXT NOT NULL CONSTRAINT history_action_set CHECK (action <> ''),
  remote            TEXT NOT NULL,
  ref               TEXT NOT NULL,
  from_commit       TEXT CONSTRAINT history_from_commit_hex
                    CHECK (length(from_commit) = 64 AND from_commit NOT GLOB '*[^0-9a-f]*'),
  to_commit         TEXT CONSTRAINT history_to_commit_hex
                    CHECK (length(to_commit) = 64 AND to_commit NOT GLOB '*[^0-9a-f]*'),
  from_version      TEXT NOT NULL,
  to_version        TEXT NOT NULL,
  outcome           TEXT NOT NULL
                    CONSTRAINT history_outcome CHECK (outcome IN ('ok', 'refused', 'failed')),
  detail            TEXT NOT NULL,
  downgrade_allowed INTEGER NOT NULL CHECK (downgrade_allowed IN (0, 1))
) STRICT;
)sql",
    // 2: deployments (deploy/deploy_history.h, docs/deploy.md): what each
    // `larch admin` verb changed, and how boots ended.
    R"sql(
CREATE TABLE deploy_history (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  time            INTEGER NOT NULL CHECK (time >= 0),
  user            TEXT NOT NULL,
  action          TEXT NOT NULL CONSTRAINT deploy_history_action_set CHECK (action <> ''),
  os              TEXT NOT NULL,
  from_deployment TEXT NOT NULL
                  CONSTRAINT deploy_history_from_name
                  CHECK (from_deployment = '' OR (length(from_deployment) BETWEEN 66 AND 71 AND
                         substr(from_deployment, 65, 1) = '.' AND
                         substr(from_deployment, 1, 64) NOT GLOB '*[^0-9a-f]*' AND
                         substr(from_deployment, 66) NOT GLOB '*[^0-9]*')),
  to_deployment   TEXT NOT NULL
                  CONSTRAINT deploy_history_to_name
                  CHECK (to_deployment = '' OR (length(to_deployment) BETWEEN 66 AND 71 AND
                         substr(to_deployment, 65, 1) = '.' AND
                         substr(to_deployment, 1, 64) NOT GLOB '*[^0-9a-f]*' AND
                         substr(to_deployment, 66) NOT GLOB '*[^0-9]*')),
  from_version    TEXT NOT NULL,
  to_version      TEXT NOT NULL,
  origin          TEXT NOT NULL,
  outcome         TEXT NOT NULL
                  CONSTRAINT deploy_history_outcome CHECK (outcome IN ('ok', 'refused', 'failed')),
  detail          TEXT NOT NULL
) STRICT;
CREATE TABLE boot_outcomes (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  time       INTEGER NOT NULL CHECK (time >= 0),
  deployment TEXT NOT NULL CONSTRAINT boot_outcomes_deployment_set CHECK (deployment <> ''),
  outcome    TEXT NOT NULL CONSTRAINT boot_outcomes_outcome CHECK (outcome IN ('good', 'fell-back')),
  detail     TEXT NOT NULL
) STRICT;
)sql",
    // 3: releases that failed to boot here (deploy/failed_releases.h): an
    // unattended upgrade does not install them again.
    R"sql(
CREATE TABLE failed_releases (
  os        TEXT NOT NULL CONSTRAINT failed_releases_os_set CHECK (os <> ''),
  commit_id TEXT NOT NULL
            CONSTRAINT failed_releases_commit_id_hex
            CHECK (length(commit_id) = 64 AND commit_id NOT GLOB '*[^0-9a-f]*'),
  time      INTEGER NOT NULL CHECK (time >= 0),
  reason    TEXT NOT NULL,
  PRIMARY KEY (os, commit_id)
) STRICT;
)sql",
    // 4: hawkBit actions (deploy/hawkbit/action_state.h, docs/hawkbit.md):
    // where each action the fleet server gave this device stands, so that
    // the outcome survives the reboot and a re-poll never installs twice.
    R"sql(
CREATE TABLE hawkbit_actions (
  action_id  TEXT NOT NULL PRIMARY KEY CONSTRAINT hawkbit_actions_id_set CHECK (action_id <> ''),
  phase      TEXT NOT NULL
             CONSTRAINT hawkbit_actions_phase CHECK (phase IN ('downloaded', 'rebooting', 'finished', 'canceled')),
  os         TEXT NOT NULL,
  refspec    TEXT NOT NULL,
  commit_id  TEXT NOT NULL
             CONSTRAINT hawkbit_actions_commit_id_hex
             CHECK (commit_id = '' OR (length(commit_id) = 64 AND commit_id NOT GLOB '*[^0-9a-f]*')),
  version    TEXT NOT NULL,
  deployment TEXT NOT NULL,
  boot_mark  INTEGER NOT NULL CHECK (boot_mark >= 0),
  result     TEXT NOT NULL CONSTRAINT hawkbit_actions_result CHECK (result IN ('', 'success', 'failure', 'downloaded')),
  detail     TEXT NOT NULL,
  reported   INTEGER NOT NULL CHECK (reported IN (0, 1)),
  updated    INTEGER NOT NULL CHECK (updated >= 0)
) STRICT;
)sql",
    // 5: rollout control on the device (docs/rollouts.md): the update an
    // upgrade found but did not deploy, and why (deploy/update_offer.h);
    // every install hook that ran, with its output (deploy/hook_history.h).
    R"sql(
CREATE TABLE update_offers (
  os        TEXT NOT NULL PRIMARY KEY CONSTRAINT update_offers_os_set CHECK (os <> ''),
  refspec   TEXT NOT NULL,
  commit_id TEXT NOT NULL
            CONSTRAINT update_offers_commit_id_hex
            CHECK (length(commit_id) = 64 AND commit_id NOT GLOB '*[^0-9a-f]*'),
  version   TEXT NOT NULL,
  state     TEXT NOT NULL CONSTRAINT update_offers_state CHECK (state IN ('withheld', 'downloaded', 'deferred')),
  reason    TEXT NOT NULL,
  time      INTEGER NOT NULL CHECK (time >= 0)
) STRICT;
CREATE TABLE hook_runs (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  time       INTEGER NOT NULL CHECK (time >= 0),
  stage      TEXT NOT NULL
             CONSTRAINT hook_runs_stage
             CHECK (stage IN ('check', 'pre-deploy', 'post-deploy', 'pre-reboot', 'boot-ok', 'fell-back')),
  hook       TEXT NOT NULL CONSTRAINT hook_runs_hook_set CHECK (hook <> ''),
  deployment TEXT NOT NULL,
  exit_code  INTEGER NOT NULL,
  timed_out  INTEGER NOT NULL CHECK (timed_out IN (0, 1)),
  millis     INTEGER NOT NULL CHECK (millis >= 0),
  output     TEXT NOT NULL
) STRICT;
)sql",
};

constexpr std::string_view kPutRemote = R"sql(
INSERT INTO remotes (remote, summary_serial, summary_sha256, summary_timestamp, updated)
VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (remote) DO UPDATE SET
  summary_serial = excluded.summary_serial, summary_sha256 = excluded.summary_sha256,
  summary_timestamp = excluded.summary_timestamp, updated = excluded.updated)sql";

constexpr std::string_view kPutRef = R"sql(
INSERT INTO refs (remote, ref, version, commit_id, timestamp, updated)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (remote, ref) DO UPDATE SET
  version = excluded.version, commit_id = excluded.commit_id,
  timestamp = excluded.timestamp, updated = excluded.updated)sql";

constexpr std::string_view kPutHistory = R"sql(
INSERT INTO history (time, user, action, remote, ref, from_commit, to_commit,
                     from_version, to_version, outcome, detail, downgrade_allowed)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12))sql";

constexpr std::string_view kGetRemote = R"sql(
SELECT summary_serial, summary_sha256, summary_timestamp, updated
FROM remotes WHERE remote = ?1)sql";

constexpr std::string_view kGetRef = R"sql(
SELECT version, commit_id, timestamp, updated FROM refs WHERE remote = ?1 AND ref = ?2)sql";

constexpr std::string_view kGetHistory = R"sql(
SELECT id, time, user, action, remote, ref, from_commit, to_commit,
       from_version, to_version, outcome, detail, downgrade_allowed
FROM history ORDER BY id DESC LIMIT ?1)sql";

uint64_t NowSeconds() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

uint64_t OrNow(uint64_t time, uint64_t now) { return time != 0 ? time : now; }

// The login name of the effective user (who the history says acted); the
// number when the user database does not know it.
std::string CurrentUser() {
  uid_t uid = ::geteuid();
  std::vector<char> buf(16384);
  passwd pw;
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr)
    return pw.pw_name;
  return std::to_string(uid);
}

// SQLite integers are signed 64-bit: a larger value would be stored
// negative, and every later comparison of serials would be wrong.
Status BindUnsigned(Statement& st, int index, uint64_t value, std::string_view what) {
  if (value > static_cast<uint64_t>(INT64_MAX)) {
    return Status::InvalidArgument(std::string(what) + " " + std::to_string(value) +
                                   " is too large for the state database (at most 2^63 - 1)");
  }
  return st.Bind(index, static_cast<int64_t>(value));
}

Status BindCommit(Statement& st, int index, const std::optional<repo::ObjectId>& commit) {
  return commit ? st.Bind(index, commit->Hex()) : st.BindNull(index);
}

}  // namespace

// ---------------------------------------------------------------- Update

void TrustState::Update::SetRemote(std::string remote, RemoteTrust trust) {
  remotes_.push_back({std::move(remote), std::move(trust)});
}

void TrustState::Update::SetRef(std::string remote, std::string ref, RefTrust trust) {
  refs_.push_back({std::move(remote), std::move(ref), std::move(trust)});
}

void TrustState::Update::AddHistory(HistoryEntry entry) { history_.push_back(std::move(entry)); }

// ------------------------------------------------------------ TrustState

std::string TrustState::DefaultPath(const repo::Store& store) { return store.path() + "/state.db"; }

Result<std::unique_ptr<TrustState>> TrustState::Open(const std::string& path) {
  LARCH_ASSIGN_OR_RETURN(auto db,
                         sqlite::Database::Open(path, sqlite::OpenMode::kCreate, "state database"));
  LARCH_RETURN_IF_ERROR(db->Migrate(kMigrations));
  return std::unique_ptr<TrustState>(new TrustState(std::move(db)));
}

Result<std::optional<RemoteTrust>> TrustState::GetRemote(std::string_view remote) {
  LARCH_ASSIGN_OR_RETURN(Statement st, db_->Prepare(kGetRemote));
  LARCH_RETURN_IF_ERROR(st.Bind(1, remote));
  LARCH_ASSIGN_OR_RETURN(bool found, st.Step());
  if (!found) return std::optional<RemoteTrust>();
  return std::optional<RemoteTrust>(RemoteTrust{
      .summary_serial = static_cast<uint64_t>(st.ColumnInt64(0)),
      .summary_sha256 = st.ColumnText(1),
      .summary_timestamp = static_cast<uint64_t>(st.ColumnInt64(2)),
      .updated = static_cast<uint64_t>(st.ColumnInt64(3)),
  });
}

Result<std::optional<RefTrust>> TrustState::GetRef(std::string_view remote, std::string_view ref) {
  LARCH_ASSIGN_OR_RETURN(Statement st, db_->Prepare(kGetRef));
  LARCH_RETURN_IF_ERROR(st.Bind(1, remote));
  LARCH_RETURN_IF_ERROR(st.Bind(2, ref));
  LARCH_ASSIGN_OR_RETURN(bool found, st.Step());
  if (!found) return std::optional<RefTrust>();
  std::string what = "ref " + std::string(ref) + " of remote " + std::string(remote);
  LARCH_ASSIGN_OR_RETURN(std::optional<repo::ObjectId> commit, ReadCommitColumn(st, 1, what));
  return std::optional<RefTrust>(RefTrust{
      .version = st.ColumnText(0),
      .commit = commit.value_or(repo::ObjectId()),  // never NULL: the schema says NOT NULL
      .timestamp = static_cast<uint64_t>(st.ColumnInt64(2)),
      .updated = static_cast<uint64_t>(st.ColumnInt64(3)),
  });
}

Result<std::vector<HistoryEntry>> TrustState::History(size_t limit) {
  LARCH_ASSIGN_OR_RETURN(Statement st, db_->Prepare(kGetHistory));
  auto sql_limit = static_cast<int64_t>(std::min<uint64_t>(limit, INT64_MAX));
  LARCH_RETURN_IF_ERROR(st.Bind(1, sql_limit));
  std::vector<HistoryEntry> out;
  for (;;) {
    LARCH_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return out;
    LARCH_ASSIGN_OR_RETURN(HistoryEntry entry, ReadHistoryRow(st));
    out.push_back(std::move(entry));
  }
}

Status TrustState::AddHistory(const HistoryEntry& entry) {
  Update update;
  update.AddHistory(entry);
  return Apply(update);
}

Status TrustState::Apply(const Update& update) {
  const uint64_t now = NowSeconds();
  // Any error returns before Commit(): the transaction's destructor rolls
  // back whatever rows were already written.
  LARCH_ASSIGN_OR_RETURN(sqlite::Transaction txn, db_->Begin());
  for (const Update::RemoteRow& row : update.remotes_) LARCH_RETURN_IF_ERROR(PutRemote(row, now));
  for (const Update::RefRow& row : update.refs_) LARCH_RETURN_IF_ERROR(PutRef(row, now));
  for (const HistoryEntry& entry : update.history_) LARCH_RETURN_IF_ERROR(PutHistory(entry, now));
  return txn.Commit();
}

Status TrustState::PutRemote(const Update::RemoteRow& row, uint64_t now) {
  const RemoteTrust& trust = row.trust;
  LARCH_ASSIGN_OR_RETURN(Statement st, db_->Prepare(kPutRemote));
  LARCH_RETURN_IF_ERROR(st.Bind(1, row.remote));
  LARCH_RETURN_IF_ERROR(BindUnsigned(st, 2, trust.summary_serial, "summary serial"));
  LARCH_RETURN_IF_ERROR(st.Bind(3, trust.summary_sha256));
  LARCH_RETURN_IF_ERROR(BindUnsigned(st, 4, trust.summary_timestamp, "summary timestamp"));
  LARCH_RETURN_IF_ERROR(BindUnsigned(st, 5, OrNow(trust.updated, now), "update time"));
  return st.Step().status();
}

Status TrustState::PutRef(const Update::RefRow& row, uint64_t now) {
  const RefTrust& trust = row.trust;
  LARCH_ASSIGN_OR_RETURN(Statement st, db_->Prepare(kPutRef));
  LARCH_RETURN_IF_ERROR(st.Bind(1, row.remote));
  LARCH_RETURN_IF_ERROR(st.Bind(2, row.ref));
  LARCH_RETURN_IF_ERROR(st.Bind(3, trust.version));
  LARCH_RETURN_IF_ERROR(st.Bind(4, trust.commit.Hex()));
  LARCH_RETURN_IF_ERROR(BindUnsigned(st, 5, trust.timestamp, "commit timestamp"));
  LARCH_RETURN_IF_ERROR(BindUnsigned(st, 6, OrNow(trust.updated, now), "update time"));
  return st.Step().status();
}

Status TrustState::PutHistory(const HistoryEntry& entry, uint64_t now) {
  LARCH_ASSIGN_OR_RETURN(Statement st, db_->Prepare(kPutHistory));
  LARCH_RETURN_IF_ERROR(BindUnsigned(st, 1, OrNow(entry.time, now), "history time"));
  LARCH_RETURN_IF_ERROR(st.Bind(2, entry.user.empty() ? CurrentUser() : entry.user));
  LARCH_RETURN_IF_ERROR(st.Bind(3, entry.action));
  LARCH_RETURN_IF_ERROR(st.Bind(4, entry.remote));
  LARCH_RETURN_IF_ERROR(st.Bind(5, entry.ref));
  LARCH_RETURN_IF_ERROR(BindCommit(st, 6, entry.from_commit));
  LARCH_RETURN_IF_ERROR(BindCommit(st, 7, entry.to_commit));
  LARCH_RETURN_IF_ERROR(st.Bind(8, entry.from_version));
  LARCH_RETURN_IF_ERROR(st.Bind(9, entry.to_version));
  LARCH_RETURN_IF_ERROR(st.Bind(10, entry.outcome));
  LARCH_RETURN_IF_ERROR(st.Bind(11, entry.detail));
  LARCH_RETURN_IF_ERROR(st.Bind(12, int64_t{entry.downgrade_allowed ? 1 : 0}));
  return st.Step().status();
}

Result<HistoryEntry> TrustState::ReadHistoryRow(const Statement& st) {
  HistoryEntry e;
  e.id = st.ColumnInt64(0);
  std::string what = "history entry " + std::to_string(e.id);
  LARCH_ASSIGN_OR_RETURN(e.from_commit, ReadCommitColumn(st, 6, what));
  LARCH_ASSIGN_OR_RETURN(e.to_commit, ReadCommitColumn(st, 7, what));
  e.time = static_cast<uint64_t>(st.ColumnInt64(1));
  e.user = st.ColumnText(2);
  e.action = st.ColumnText(3);
  e.remote = st.ColumnText(4);
  e.ref = st.ColumnText(5);
  e.from_version = st.ColumnText(8);
  e.to_version = st.ColumnText(9);
  e.outcome = st.ColumnText(10);
  e.detail = st.ColumnText(11);
  e.downgrade_allowed = st.ColumnInt64(12) != 0;
  return e;
}

// nullopt for NULL. A stored id that does not parse is damage (the schema's
// check allows only 64 hex digits), reported with the row it is in.
Result<std::optional<repo::ObjectId>> TrustState::ReadCommitColumn(const Statement& st, int column,
                                                                   std::string_view what) {
  if (st.ColumnIsNull(column)) return std::optional<repo::ObjectId>();
  Result<repo::ObjectId> id = repo::ObjectId::FromHex(st.ColumnText(column));
  if (!id.ok()) {
    return Status::Corruption("state database " + db_->path() + ": " + std::string(what) + ": " +
                              id.status().message());
  }
  return std::optional<repo::ObjectId>(*id);
}

}  // namespace larch::trust
