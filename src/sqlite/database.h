// File: src/sqlite/database.h
//
// A small RAII wrapper over the SQLite3 C API for Larch's local databases
// (docs/state-database.md). Every SQLite error becomes a Status whose message
// names the database file, so a user reading it knows which file to look at:
//
//   SQLITE_CORRUPT, SQLITE_NOTADB  kCorruption  "<label> <path> is corrupt or not a database: …"
//   SQLITE_FULL                    kNoSpace
//   SQLITE_BUSY, SQLITE_LOCKED     kIoError     "<label> <path> is locked by another process …"
//   SQLITE_CONSTRAINT              kInvalidArgument (the caller stored a value the schema forbids)
//   SQLITE_CANTOPEN, SQLITE_IOERR  by errno (Status::FromErrno): ENOENT kNotFound, ENOSPC kNoSpace
//   (a file Open cannot open or create: by the errno of open(2), "… cannot open: Permission denied")
//   anything else                  kIoError
//
//   LARCH_ASSIGN_OR_RETURN(auto db, Database::Open(path, OpenMode::kCreate));
//   LARCH_RETURN_IF_ERROR(db->Migrate(kMigrations));
//   LARCH_ASSIGN_OR_RETURN(Transaction txn, db->Begin());
//   LARCH_ASSIGN_OR_RETURN(Statement st, db->Prepare("INSERT INTO t VALUES (?1)"));
//   LARCH_RETURN_IF_ERROR(st.Bind(1, int64_t{7}));
//   LARCH_RETURN_IF_ERROR(st.Step().status());
//   LARCH_RETURN_IF_ERROR(txn.Commit());
//
// A Database is one connection, used by one thread at a time. Statements and
// transactions point at their Database, which must outlive them.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "src/base/bytes.h"
#include "src/base/result.h"

// The C API's handle types, declared here so that users of this header do
// not see the rest of sqlite3.h.
struct sqlite3;
struct sqlite3_stmt;

namespace larch::sqlite {

class Database;

// One prepared statement. Parameters are numbered from 1, columns from 0
// (SQLite's convention). Text and blobs are copied when bound and when read,
// so nothing here points into SQLite's buffers after the call returns.
class Statement {
 public:
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Status Bind(int index, int64_t value);
  Status Bind(int index, std::string_view text);
  Status Bind(int index, ByteSpan blob);
  Status BindNull(int index);

  // true: a row is available through the Column accessors; false: done.
  Result<bool> Step();

  bool ColumnIsNull(int column) const;
  int64_t ColumnInt64(int column) const;
  std::string ColumnText(int column) const;
  Bytes ColumnBlob(int column) const;

  // Ready to Step() again from the start, with every parameter unbound.
  // An error of the last Step() was already reported by that Step().
  void Reset();

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Status BindResult(int rc, int index);

  Database* db_;
  sqlite3_stmt* stmt_;
};

// BEGIN IMMEDIATE … COMMIT. IMMEDIATE takes the write lock at the start, so
// two writers queue at Begin() (waiting up to the busy timeout) instead of
// both reading and then one failing when it first writes. Destroying an
// uncommitted Transaction rolls it back: every early `return` of an error
// leaves the database as it was.
class Transaction {
 public:
  ~Transaction();
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Durable when it returns OK (synchronous=FULL). On failure the
  // transaction is rolled back, now or by the destructor.
  Status Commit();

 private:
  friend class Database;
  explicit Transaction(Database* db) : db_(db) {}

  Database* db_;  // null once committed or moved from
};

enum class OpenMode {
  kCreate,    // create the file when it does not exist
  kExisting,  // kNotFound when it does not exist
};

class Database {
 public:
  // How long a connection waits for another one's write lock by default.
  static constexpr std::chrono::milliseconds kDefaultBusyTimeout{5000};

  // Opens (or creates) the database at `path` in WAL mode with
  // synchronous=FULL and foreign keys on. `label` starts every message
  // ("state database /var/lib/x/state.db is corrupt …").
  //
  // The file is read before Open returns, so a file that is not an SQLite
  // database, or a truncated one, is kCorruption here rather than later. An
  // existing file that fails to open is never deleted, rewritten or
  // recreated: what it holds (e.g. rollback protection) must not silently
  // reset to empty.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, OpenMode mode,
                                                std::string label = "database");

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& path() const { return path_; }

  // Runs one or more SQL statements that return no rows.
  Status Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);
  // The first column of the first row of `sql` as an integer (kNotFound
  // when there is no row).
  Result<int64_t> QueryInt64(std::string_view sql);
  Result<Transaction> Begin();

  // The rowid of the last successful INSERT on this connection.
  int64_t LastInsertRowId() const;

  // PRAGMA user_version: the schema version Migrate() maintains.
  Result<int64_t> UserVersion();
  Status SetUserVersion(int64_t version);

  // Brings the schema to version migrations.size(): applies
  // migrations[user_version], migrations[user_version + 1], … each in its
  // own transaction together with the user_version bump, so a crash leaves
  // the schema at some whole version and the next Open continues from
  // there. Migrations must not contain BEGIN or COMMIT. A database whose
  // user_version is above migrations.size() was written by a newer program
  // and is refused (kUnsupported) rather than used half-understood.
  Status Migrate(std::span<const std::string_view> migrations);

  // How long to wait for another connection's lock before failing with
  // "is locked by another process" (default kDefaultBusyTimeout).
  Status SetBusyTimeout(std::chrono::milliseconds timeout);

 private:
  friend class Statement;
  friend class Transaction;

  Database(std::string path, std::string label)
      : path_(std::move(path)), label_(std::move(label)) {}

  // The Status for SQLite result code `rc`; `doing` says what failed.
  Status Error(int rc, std::string_view doing) const;
  Status CheckReadable();
  Status Configure();
  Result<bool> MigrateOneStep(std::span<const std::string_view> migrations);
  Status CheckVersionKnown(int64_t version, size_t known) const;
  void Rollback();

  sqlite3* db_ = nullptr;
  std::string path_;
  std::string label_;
  std::chrono::milliseconds busy_timeout_ = kDefaultBusyTimeout;
};

}  // namespace larch::sqlite
