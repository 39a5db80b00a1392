// File: src/sqlite/database_test.cc
#include "src/sqlite/database.h"

#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace larch::sqlite {
namespace {

using ::larch::testing::ReadTestFile;
using ::larch::testing::TempDir;
using ::larch::testing::WriteTestFile;

::testing::AssertionResult Ok(const Status& s) {
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << s.ToString();
}
template <typename T>
::testing::AssertionResult Ok(const Result<T>& r) {
  return Ok(r.status());
}

void ExpectError(const Status& s, StatusCode code, std::string_view needle) {
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_NE(s.message().find(needle), std::string::npos) << "\"" << needle << "\" not in: " << s.ToString();
}

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

class DatabaseTest : public ::testing::Test {
 protected:
  // Opens path_, or fails the test and returns null.
  std::unique_ptr<Database> OpenDb(OpenMode mode = OpenMode::kCreate) {
    auto db = Database::Open(path_, mode, "test database");
    EXPECT_TRUE(Ok(db));
    return db.ok() ? std::move(db).value() : nullptr;
  }

  // A database of several pages (table t, `rows` rows), closed, so that
  // everything is in the main file (the last close checkpoints the WAL).
  void MakeDatabase(int rows) {
    auto db = OpenDb();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(Ok(db->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")));
    auto st = db->Prepare("INSERT INTO t (v) VALUES (?1)");
    ASSERT_TRUE(Ok(st));
    for (int i = 0; i < rows; ++i) {
      ASSERT_TRUE(Ok(st->Bind(1, ByteSpan(Bytes(200, static_cast<uint8_t>(i))))));
      ASSERT_TRUE(Ok(st->Step()));
      st->Reset();
    }
  }

  int64_t Count(Database& db, const std::string& table) {
    auto n = db.QueryInt64("SELECT count(*) FROM " + table);
    EXPECT_TRUE(Ok(n));
    return n.ok() ? *n : -1;
  }

  TempDir dir_;
  std::string path_ = dir_.Sub("test.db");
};

// With path_ open as db_.
class OpenDatabaseTest : public DatabaseTest {
 protected:
  void SetUp() override {
    db_ = OpenDb();
    ASSERT_NE(db_, nullptr);
  }

  std::unique_ptr<Database> db_;
};

// ----------------------------------------------------------------- open

TEST_F(OpenDatabaseTest, OpenCreatesTheFileInWalModeWithFullSync) {
  EXPECT_TRUE(std::filesystem::exists(path_));
  auto mode = db_->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(Ok(mode));
  ASSERT_TRUE(Ok(mode->Step()));
  EXPECT_EQ(mode->ColumnText(0), "wal");
  EXPECT_EQ(*db_->QueryInt64("PRAGMA synchronous"), 2);  // FULL
  EXPECT_EQ(*db_->QueryInt64("PRAGMA foreign_keys"), 1);
  EXPECT_EQ(*db_->QueryInt64("PRAGMA busy_timeout"), 5000);
}

TEST_F(DatabaseTest, OpenExistingOfAMissingFileIsNotFoundAndCreatesNothing) {
  auto db = Database::Open(path_, OpenMode::kExisting, "test database");
  ExpectError(db.status(), StatusCode::kNotFound, "test database " + path_);
  EXPECT_TRUE(Names(dir_.path()).empty());
}

TEST_F(DatabaseTest, OpenInAMissingDirectoryIsNotFoundNamingThePath) {
  std::string path = dir_.Sub("no/such/dir/test.db");
  auto db = Database::Open(path, OpenMode::kCreate, "test database");
  ExpectError(db.status(), StatusCode::kNotFound, "test database " + path);
  ExpectError(db.status(), StatusCode::kNotFound, "No such file or directory");
}

TEST_F(DatabaseTest, DataSurvivesReopen) {
  MakeDatabase(10);
  auto db = OpenDb(OpenMode::kExisting);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(Count(*db, "t"), 10);
}

// An empty file is what a crash right after SQLite created the file leaves.
TEST_F(DatabaseTest, AnEmptyFileIsAnEmptyDatabase) {
  WriteTestFile(path_, "");
  auto db = OpenDb(OpenMode::kExisting);
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(Ok(db->Exec("CREATE TABLE t (x)")));
}

// ------------------------------------------------------------ statements

TEST_F(OpenDatabaseTest, BindAndReadEveryType) {
  ASSERT_TRUE(Ok(db_->Exec("CREATE TABLE t (i INTEGER, s TEXT, b BLOB, n)")));
  const Bytes blob = {0, 1, 0, 0xff};
  struct Row {
    int64_t i;
    std::string s;
    Bytes b;
  };
  for (const Row& row : {Row{INT64_MIN, "grüße\n", blob}, Row{INT64_MAX, "", {}}}) {
    auto insert = db_->Prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4)");
    ASSERT_TRUE(Ok(insert));
    ASSERT_TRUE(Ok(insert->Bind(1, row.i)));
    ASSERT_TRUE(Ok(insert->Bind(2, row.s)));
    ASSERT_TRUE(Ok(insert->Bind(3, ByteSpan(row.b))));
    ASSERT_TRUE(Ok(insert->BindNull(4)));
    auto done = insert->Step();
    ASSERT_TRUE(Ok(done));
    EXPECT_FALSE(*done);
    EXPECT_GT(db_->LastInsertRowId(), 0);

    auto select = db_->Prepare("SELECT i, s, b, n, s IS NULL, b IS NULL FROM t WHERE i = ?1");
    ASSERT_TRUE(Ok(select));
    ASSERT_TRUE(Ok(select->Bind(1, row.i)));
    auto has_row = select->Step();
    ASSERT_TRUE(Ok(has_row));
    ASSERT_TRUE(*has_row);
    EXPECT_EQ(select->ColumnInt64(0), row.i);
    EXPECT_EQ(select->ColumnText(1), row.s);
    EXPECT_EQ(select->ColumnBlob(2), row.b);
    EXPECT_TRUE(select->ColumnIsNull(3));
    // Empty text and blobs are stored as empty values, not as NULL.
    EXPECT_EQ(select->ColumnInt64(4), 0);
    EXPECT_EQ(select->ColumnInt64(5), 0);
    EXPECT_FALSE(*select->Step());
  }
}

TEST_F(OpenDatabaseTest, ResetRunsAStatementAgainWithNewParameters) {
  auto st = db_->Prepare("SELECT ?1 + 1");
  ASSERT_TRUE(Ok(st));
  for (int64_t v : {1, 41}) {
    ASSERT_TRUE(Ok(st->Bind(1, v)));
    ASSERT_TRUE(*st->Step());
    EXPECT_EQ(st->ColumnInt64(0), v + 1);
    st->Reset();
  }
  // Reset unbinds: an unbound parameter is NULL.
  ASSERT_TRUE(*st->Step());
  EXPECT_TRUE(st->ColumnIsNull(0));
}

TEST_F(OpenDatabaseTest, PrepareErrorNamesThePathAndTheStatement) {
  auto st = db_->Prepare("SELEKT 1");
  ExpectError(st.status(), StatusCode::kIoError, "test database " + path_);
  ExpectError(st.status(), StatusCode::kIoError, "SELEKT 1");
}

TEST_F(OpenDatabaseTest, ConstraintViolationIsInvalidArgumentNamingTheConstraint) {
  ASSERT_TRUE(Ok(db_->Exec("CREATE TABLE t (x INTEGER NOT NULL)")));
  auto st = db_->Prepare("INSERT INTO t VALUES (?1)");
  ASSERT_TRUE(Ok(st));
  ASSERT_TRUE(Ok(st->BindNull(1)));
  auto step = st->Step();
  ExpectError(step.status(), StatusCode::kInvalidArgument, "test database " + path_);
  ExpectError(step.status(), StatusCode::kInvalidArgument, "NOT NULL constraint failed: t.x");
}

TEST_F(OpenDatabaseTest, DiskFullIsNoSpace) {
  ASSERT_TRUE(Ok(db_->Exec("CREATE TABLE t (v BLOB)")));
  // A database limited to its current size runs out of room like a full disk.
  ASSERT_TRUE(Ok(db_->Exec("PRAGMA max_page_count = " + std::to_string(*db_->QueryInt64("PRAGMA page_count")))));
  Status s = db_->Exec("INSERT INTO t VALUES (zeroblob(100000))");
  ExpectError(s, StatusCode::kNoSpace, "test database " + path_);
}

// ---------------------------------------------------------- transactions

TEST_F(DatabaseTest, CommittedTransactionSurvivesReopen) {
  {
    auto db = OpenDb();
    ASSERT_NE(db, nullptr);
    auto txn = db->Begin();
    ASSERT_TRUE(Ok(txn));
    ASSERT_TRUE(Ok(db->Exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)")));
    ASSERT_TRUE(Ok(txn->Commit()));
  }
  auto db = OpenDb(OpenMode::kExisting);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(Count(*db, "t"), 1);
}

TEST_F(OpenDatabaseTest, UncommittedTransactionRollsBack) {
  ASSERT_TRUE(Ok(db_->Exec("CREATE TABLE t (x)")));
  {
    auto txn = db_->Begin();
    ASSERT_TRUE(Ok(txn));
    ASSERT_TRUE(Ok(db_->Exec("INSERT INTO t VALUES (1)")));
    EXPECT_EQ(Count(*db_, "t"), 1);
  }
  EXPECT_EQ(Count(*db_, "t"), 0);
  // The connection is usable again: the rollback ended the transaction.
  auto txn = db_->Begin();
  ASSERT_TRUE(Ok(txn));
  EXPECT_TRUE(Ok(txn->Commit()));
}

TEST_F(OpenDatabaseTest, MovedTransactionRollsBackOnce) {
  ASSERT_TRUE(Ok(db_->Exec("CREATE TABLE t (x)")));
  {
    auto txn = db_->Begin();
    ASSERT_TRUE(Ok(txn));
    Transaction moved(std::move(txn).value());
    ASSERT_TRUE(Ok(db_->Exec("INSERT INTO t VALUES (1)")));
  }
  EXPECT_EQ(Count(*db_, "t"), 0);
}

TEST_F(OpenDatabaseTest, WriterBlockedByAnotherConnectionGetsALockedError) {
  auto second = OpenDb();
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(Ok(second->SetBusyTimeout(std::chrono::milliseconds(50))));
  auto held = db_->Begin();
  ASSERT_TRUE(Ok(held));
  auto blocked = second->Begin();
  ExpectError(blocked.status(), StatusCode::kIoError,
              "test database " + path_ + " is locked by another process (gave up after 50 ms)");
}

// ------------------------------------------------------------ migrations

constexpr std::array<std::string_view, 3> kMigrations = {
    "CREATE TABLE a (x INTEGER NOT NULL)",
    "CREATE TABLE b (y TEXT); INSERT INTO b VALUES ('from step 2')",
    "ALTER TABLE a ADD COLUMN z TEXT",
};

TEST_F(OpenDatabaseTest, MigrateAFreshDatabaseAppliesEveryStep) {
  EXPECT_EQ(*db_->UserVersion(), 0);
  ASSERT_TRUE(Ok(db_->Migrate(kMigrations)));
  EXPECT_EQ(*db_->UserVersion(), 3);
  EXPECT_EQ(Count(*db_, "b"), 1);
  EXPECT_TRUE(Ok(db_->Exec("INSERT INTO a (x, z) VALUES (1, 'z')")));
  // Up to date: nothing more to do (step 1 again would fail: "table a exists").
  EXPECT_TRUE(Ok(db_->Migrate(kMigrations)));
}

TEST_F(DatabaseTest, MigrateAppliesOnlyTheStepsNewerThanTheDatabase) {
  {
    auto db = OpenDb();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(Ok(db->Migrate(std::span(kMigrations).first(2))));
    EXPECT_EQ(*db->UserVersion(), 2);
  }
  auto db = OpenDb(OpenMode::kExisting);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(Ok(db->Migrate(kMigrations)));
  EXPECT_EQ(*db->UserVersion(), 3);
  EXPECT_EQ(Count(*db, "b"), 1);  // step 2 ran once
}

TEST_F(OpenDatabaseTest, MigrateRefusesADatabaseNewerThanTheCode) {
  ASSERT_TRUE(Ok(db_->Migrate(kMigrations)));
  Status s = db_->Migrate(std::span(kMigrations).first(2));
  ExpectError(s, StatusCode::kUnsupported, "test database " + path_ + " has schema version 3");
  ExpectError(s, StatusCode::kUnsupported, "newest this program knows (2)");
  EXPECT_EQ(*db_->UserVersion(), 3);
}

TEST_F(OpenDatabaseTest, FailedMigrationStepLeavesTheLastCompleteVersion) {
  constexpr std::array<std::string_view, 2> kBad = {
      "CREATE TABLE a (x)",
      "CREATE TABLE b (y); INSERT INTO b VALUES (1); INSERT INTO no_such_table VALUES (1)",
  };
  Status s = db_->Migrate(kBad);
  ExpectError(s, StatusCode::kIoError, "migrating to schema version 2");
  ExpectError(s, StatusCode::kIoError, "no such table: no_such_table");
  EXPECT_EQ(*db_->UserVersion(), 1);
  EXPECT_EQ(Count(*db_, "a"), 0);
  EXPECT_FALSE(Ok(db_->QueryInt64("SELECT count(*) FROM b")));  // step 2 rolled back whole
}

// ---------------------------------------------------------- damaged files

std::string RandomBytes(size_t n) {
  std::mt19937 rng(42);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

TEST_F(DatabaseTest, GarbageFileIsCorruptionAndIsLeftUntouched) {
  const std::string garbage = RandomBytes(16384);
  WriteTestFile(path_, garbage);
  for (OpenMode mode : {OpenMode::kCreate, OpenMode::kExisting}) {
    auto db = Database::Open(path_, mode, "state database");
    ExpectError(db.status(), StatusCode::kCorruption,
                "state database " + path_ + " is corrupt or not a database: file is not a database");
  }
  EXPECT_EQ(ReadTestFile(path_), garbage);
  EXPECT_EQ(Names(dir_.path()), std::vector<std::string>{"test.db"});
}

class TruncatedDatabaseTest : public DatabaseTest, public ::testing::WithParamInterface<off_t> {};

TEST_P(TruncatedDatabaseTest, IsCorruptionAndIsLeftUntouched) {
  MakeDatabase(200);  // ~ 12 pages
  std::string whole = ReadTestFile(path_);
  off_t size = GetParam() > 0 ? GetParam() : static_cast<off_t>(whole.size()) / 2;
  ASSERT_LT(static_cast<size_t>(size), whole.size());
  ASSERT_EQ(::truncate(path_.c_str(), size), 0);
  auto db = Database::Open(path_, OpenMode::kCreate, "test database");
  ExpectError(db.status(), StatusCode::kCorruption, "test database " + path_ + " is corrupt or not a database");
  EXPECT_EQ(ReadTestFile(path_), whole.substr(0, static_cast<size_t>(size)));
  EXPECT_EQ(Names(dir_.path()), std::vector<std::string>{"test.db"});
}

// 1 byte: SQLite itself would read it as an empty database. 0: half the file.
INSTANTIATE_TEST_SUITE_P(Sizes, TruncatedDatabaseTest, ::testing::Values(1, 16, 50, 100, 4096, 0));

// ------------------------------------------------------------ permissions

struct OpenOutcome {
  StatusCode code;
  std::string message;
};

// Database::Open of `path` without root's power to write anywhere: as is
// when not root, else in a child process running as nobody.
OpenOutcome OpenUnprivileged(const std::string& path) {
  if (::geteuid() != 0) {
    auto db = Database::Open(path, OpenMode::kCreate, "test database");
    return {db.status().code(), db.status().message()};
  }
  const passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) return {StatusCode::kCancelled, "no user nobody"};
  int fds[2];
  if (::pipe(fds) != 0) return {StatusCode::kCancelled, "pipe failed"};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    if (::setgid(nobody->pw_gid) != 0 || ::setuid(nobody->pw_uid) != 0) ::_exit(1);
    auto db = Database::Open(path, OpenMode::kCreate, "test database");
    std::string out = std::to_string(static_cast<int>(db.status().code())) + " " + db.status().message();
    ::_exit(::write(fds[1], out.data(), out.size()) == static_cast<ssize_t>(out.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0 || out.find(' ') == std::string::npos)
    return {StatusCode::kCancelled, "child failed: " + out};
  return {static_cast<StatusCode>(std::stoi(out)), out.substr(out.find(' ') + 1)};
}

TEST_F(DatabaseTest, ReadOnlyDirectoryErrorNamesThePathAndTheReason) {
  std::string ro = dir_.Sub("ro");
  ASSERT_EQ(::mkdir(ro.c_str(), 0555), 0);
  ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);  // so that nobody can reach ro/
  std::string path = ro + "/test.db";
  OpenOutcome got = OpenUnprivileged(path);
  EXPECT_EQ(got.code, StatusCode::kIoError) << got.message;
  EXPECT_EQ(got.message,
            "test database " + path + ": cannot open: Permission denied");
  EXPECT_TRUE(Names(ro).empty());
}

// SQLite alone would open such a file read-only and fail at the first write.
TEST_F(DatabaseTest, ReadOnlyFileIsRefusedAtOpen) {
  MakeDatabase(1);
  ASSERT_EQ(::chmod(path_.c_str(), 0444), 0);
  ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
  OpenOutcome got = OpenUnprivileged(path_);
  EXPECT_EQ(got.code, StatusCode::kIoError) << got.message;
  EXPECT_EQ(got.message, "test database " + path_ + ": cannot open: Permission denied");
}

}  // namespace
}  // namespace larch::sqlite
