// File: src/sqlite/database.cc
// The SQLite3 C API behind Database, Statement and Transaction, and the one
// mapping of SQLite result codes to Status codes (Database::Error).
#include "src/sqlite/database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <utility>

#include "src/base/unique_fd.h"

namespace larch::sqlite {
namespace {

// sqlite3.h spells SQLITE_TRANSIENT with a C cast; this is the same value.
// TRANSIENT makes SQLite copy bound text and blobs, so callers may pass
// temporaries.
const sqlite3_destructor_type kTransient = reinterpret_cast<sqlite3_destructor_type>(-1);

// The start of a statement's text, enough to recognise it in a message.
std::string ShortSql(std::string_view sql) {
  constexpr size_t kMax = 60;
  std::string out;
  for (char c : sql) {
    if (out.size() == kMax) return out + "…";
    bool space = c == '\n' || c == '\t' || c == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Opens (and in kCreate mode creates) the file with open(2) before SQLite
// does. SQLite says only "unable to open database file", and the errno it
// keeps is that of its read-only retry (ENOENT for a directory that is not
// writable); ours says why. Creating the empty file here is what SQLite
// would do: an empty file is an empty database. A file that is readable but
// not writable fails here too, where SQLite would open it read-only and fail
// at the first write instead.
Status ProbeOpen(const std::string& path, OpenMode mode) {
  int flags = O_RDWR | O_CLOEXEC | (mode == OpenMode::kCreate ? O_CREAT : 0);
  UniqueFd fd(::open(path.c_str(), flags, 0644));
  if (!fd.valid()) return Status::FromErrno(errno, "cannot open");
  return Status::Ok();
}

}  // namespace

// ------------------------------------------------------------------ Statement

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Status Statement::BindResult(int rc, int index) {
  if (rc == SQLITE_OK) return Status::Ok();
  return db_->Error(rc, "binding parameter " + std::to_string(index) + " of \"" +
                            ShortSql(sqlite3_sql(stmt_)) + "\"");
}

Status Statement::Bind(int index, int64_t value) {
  return BindResult(sqlite3_bind_int64(stmt_, index, value), index);
}

Status Statement::Bind(int index, std::string_view text) {
  // A null pointer would bind SQL NULL; an empty string must stay a string.
  const char* data = text.data() != nullptr ? text.data() : "";
  return BindResult(sqlite3_bind_text64(stmt_, index, data, text.size(), kTransient, SQLITE_UTF8),
                    index);
}

Status Statement::Bind(int index, ByteSpan blob) {
  // As for text: an empty blob is a zero-length blob, not NULL.
  if (blob.empty()) return BindResult(sqlite3_bind_zeroblob(stmt_, index, 0), index);
  return BindResult(sqlite3_bind_blob64(stmt_, index, blob.data(), blob.size(), kTransient), index);
}

Status Statement::BindNull(int index) { return BindResult(sqlite3_bind_null(stmt_, index), index); }

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(rc, "\"" + ShortSql(sqlite3_sql(stmt_)) + "\"");
}

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::ColumnText(int column) const {
  // column_text before column_bytes: the length is that of the text form.
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

Bytes Statement::ColumnBlob(int column) const {
  const auto* data = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, column));
  if (data == nullptr) return {};
  return Bytes(data, data + sqlite3_column_bytes(stmt_, column));
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

// ---------------------------------------------------------------- Transaction

Transaction::~Transaction() {
  if (db_ != nullptr) db_->Rollback();
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Status Transaction::Commit() {
  Database* db = std::exchange(db_, nullptr);
  if (db == nullptr) return Status::InvalidArgument("commit of a transaction that already ended");
  Status s = db->Exec("COMMIT");
  // A failed COMMIT may leave the transaction open (SQLITE_BUSY); end it
  // now, after Exec has captured the error message ROLLBACK would replace.
  if (!s.ok()) db->Rollback();
  return s;
}

// ------------------------------------------------------------------- Database

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, OpenMode mode,
                                                 std::string label) {
  LARCH_RETURN_IF_ERROR(ProbeOpen(path, mode).WithContext(label + " " + path));
  std::unique_ptr<Database> db(new Database(path, std::move(label)));
  int rc = sqlite3_open_v2(path.c_str(), &db->db_, SQLITE_OPEN_READWRITE, nullptr);
  if (rc != SQLITE_OK) return db->Error(rc, "cannot open");
  sqlite3_extended_result_codes(db->db_, 1);
  LARCH_RETURN_IF_ERROR(db->SetBusyTimeout(kDefaultBusyTimeout));
  LARCH_RETURN_IF_ERROR(db->CheckReadable());
  LARCH_RETURN_IF_ERROR(db->Configure());
  return db;
}

// close_v2 rather than close: should a Statement outlive its Database by
// mistake, the connection is freed with it instead of leaking.
Database::~Database() { sqlite3_close_v2(db_); }

// sqlite3_open_v2 does not read the file; the first query does. Reading the
// schema here makes a file that is not a database, or a truncated one, fail
// at Open with kCorruption, before anything has written to it.
Status Database::CheckReadable() {
  LARCH_RETURN_IF_ERROR(Exec("SELECT count(*) FROM sqlite_master"));
  LARCH_ASSIGN_OR_RETURN(int64_t pages, QueryInt64("PRAGMA page_count"));
  if (pages > 0) return Status::Ok();
  // No pages is right for a new, empty file (SQLite writes page 1 with the
  // first commit). But SQLite also reads a 1-byte file as empty, and the
  // first write would replace it: a non-empty file without pages is damage.
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) return Status::FromErrno(errno, label_ + " " + path_);
  if (st.st_size == 0) return Status::Ok();
  return Status::Corruption(label_ + " " + path_ + " is corrupt or not a database: " +
                            std::to_string(st.st_size) + " bytes without a database header");
}

Status Database::Configure() {
  // WAL: a commit appends to the -wal file and fsyncs it once; readers do
  // not block the writer. SQLite answers with the mode it actually uses.
  LARCH_ASSIGN_OR_RETURN(Statement wal, Prepare("PRAGMA journal_mode=WAL"));
  LARCH_ASSIGN_OR_RETURN(bool row, wal.Step());
  std::string journal_mode = row ? wal.ColumnText(0) : "none";
  if (journal_mode != "wal") {
    return Status::Unsupported(label_ + " " + path_ +
                               ": cannot use write-ahead logging (journal mode: " +
                               journal_mode + ")");
  }
  // synchronous=FULL: with WAL, NORMAL may lose the last commits on power
  // loss; FULL fsyncs the WAL at every commit, so a committed transaction
  // (an accepted summary serial, say) survives a crash.
  return Exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
}

Status Database::Error(int rc, std::string_view doing) const {
  std::string where = label_ + " " + path_;
  std::string detail = sqlite3_errmsg(db_);
  switch (rc & 0xff) {  // the primary code; extended codes refine it
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(where + " is corrupt or not a database: " + detail);
    case SQLITE_FULL:
      return Status::NoSpace(where + ": " + std::string(doing) + ": " + detail);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::IoError(where + " is locked by another process (gave up after " +
                             std::to_string(busy_timeout_.count()) + " ms): " +
                             std::string(doing) + ": " + detail);
    case SQLITE_CONSTRAINT:
      return Status::InvalidArgument(where + ": " + std::string(doing) + ": " + detail);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
      // The errno says more than "unable to open database file" (and maps
      // ENOENT to kNotFound, ENOSPC to kNoSpace).
      if (int err = sqlite3_system_errno(db_); err != 0)
        return Status::FromErrno(err, where + ": " + std::string(doing) + ": " + detail);
      break;
  }
  return Status::IoError(where + ": " + std::string(doing) + ": " + detail);
}

Status Database::Exec(std::string_view sql) {
  int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) return Status::Ok();
  return Error(rc, "\"" + ShortSql(sql) + "\"");
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "preparing \"" + ShortSql(sql) + "\"");
  return Statement(this, stmt);
}

Result<int64_t> Database::QueryInt64(std::string_view sql) {
  LARCH_ASSIGN_OR_RETURN(Statement st, Prepare(sql));
  LARCH_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Status::NotFound(label_ + " " + path_ + ": no row from \"" + ShortSql(sql) + "\"");
  return st.ColumnInt64(0);
}

Result<Transaction> Database::Begin() {
  LARCH_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  return Transaction(this);
}

// Errors are dropped: the caller is already returning the error that made
// it roll back, and a transaction that fails to roll back here is rolled
// back by SQLite when the connection closes or the next one opens the file.
void Database::Rollback() {
  if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

Result<int64_t> Database::UserVersion() { return QueryInt64("PRAGMA user_version"); }

Status Database::SetUserVersion(int64_t version) {
  // The pragma takes no parameters; the number is formatted, never text.
  if (version < 0 || version > INT32_MAX)
    return Status::InvalidArgument("user_version out of range: " + std::to_string(version));
  return Exec("PRAGMA user_version = " + std::to_string(version));
}

Status Database::CheckVersionKnown(int64_t version, size_t known) const {
  if (version < 0) {
    return Status::Corruption(label_ + " " + path_ + " has a negative schema version (" +
                              std::to_string(version) + ")");
  }
  if (static_cast<uint64_t>(version) <= known) return Status::Ok();
  return Status::Unsupported(label_ + " " + path_ + " has schema version " +
                             std::to_string(version) + ", newer than the newest this program knows (" +
                             std::to_string(known) + "); it was written by a newer version");
}

Status Database::Migrate(std::span<const std::string_view> migrations) {
  // Checked outside a transaction first, so that opening an up-to-date
  // database takes no write lock.
  LARCH_ASSIGN_OR_RETURN(int64_t version, UserVersion());
  LARCH_RETURN_IF_ERROR(CheckVersionKnown(version, migrations.size()));
  bool more = static_cast<uint64_t>(version) < migrations.size();
  while (more) {
    LARCH_ASSIGN_OR_RETURN(more, MigrateOneStep(migrations));
  }
  return Status::Ok();
}

// Reads the version again inside the transaction: another process may have
// migrated since, and applying a step twice would fail ("table exists").
Result<bool> Database::MigrateOneStep(std::span<const std::string_view> migrations) {
  LARCH_ASSIGN_OR_RETURN(Transaction txn, Begin());
  LARCH_ASSIGN_OR_RETURN(int64_t version, UserVersion());
  LARCH_RETURN_IF_ERROR(CheckVersionKnown(version, migrations.size()));
  auto step = static_cast<size_t>(version);
  if (step == migrations.size()) return false;
  std::string context = "migrating to schema version " + std::to_string(step + 1);
  LARCH_RETURN_IF_ERROR(Exec(migrations[step]).WithContext(context));
  LARCH_RETURN_IF_ERROR(SetUserVersion(version + 1));
  LARCH_RETURN_IF_ERROR(txn.Commit().WithContext(context));
  return step + 1 < migrations.size();
}

Status Database::SetBusyTimeout(std::chrono::milliseconds timeout) {
  int rc = sqlite3_busy_timeout(db_, static_cast<int>(timeout.count()));
  if (rc != SQLITE_OK) return Error(rc, "setting the busy timeout");
  busy_timeout_ = timeout;
  return Status::Ok();
}

}  // namespace larch::sqlite
