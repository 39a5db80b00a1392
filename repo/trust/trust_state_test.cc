// File: repo/trust/trust_state_test.cc
#include "repo/trust/trust_state.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "repo/repo_test_util.h"

namespace larch::trust {
namespace {

using repo::ObjectId;
using repo::testing::FailsWith;
using repo::testing::Must;
using repo::testing::ReadTestFile;
using repo::testing::TempDir;
using repo::testing::WriteTestFile;

const ObjectId kCommitA = ObjectId::HashOf(AsBytes("commit a"));
const ObjectId kCommitB = ObjectId::HashOf(AsBytes("commit b"));
const std::string kSummaryHash(64, 'c');

RemoteTrust Remote(uint64_t serial) {
  return {.summary_serial = serial, .summary_sha256 = kSummaryHash, .summary_timestamp = 1700000000 + serial,
          .updated = 1800000000};
}

RefTrust Ref(std::string version, const ObjectId& commit) {
  return {.version = std::move(version), .commit = commit, .timestamp = 1700000500, .updated = 1800000001};
}

HistoryEntry Entry(std::string action, std::string outcome) {
  return {.time = 1800000002, .user = "tester", .action = std::move(action), .remote = "origin",
          .ref = "os/stable", .from_commit = kCommitA, .to_commit = kCommitB, .from_version = "1.0",
          .to_version = "1.1", .outcome = std::move(outcome), .detail = "", .downgrade_allowed = false};
}

// Serial 2 of origin, with os/stable at commit B.
TrustState::Update SecondInstall() {
  TrustState::Update update;
  update.SetRemote("origin", Remote(2));
  update.SetRef("origin", "os/stable", Ref("1.1", kCommitB));
  return update;
}

class TrustStateTest : public ::testing::Test {
 protected:
  std::unique_ptr<TrustState> OpenState() { return Must(TrustState::Open(path_)); }

  // Records serial 1 of origin, os/stable at commit A, and one history entry.
  void RecordFirstInstall(TrustState& state) {
    TrustState::Update update;
    update.SetRemote("origin", Remote(1));
    update.SetRef("origin", "os/stable", Ref("1.0", kCommitA));
    update.AddHistory(Entry("pull", "ok"));
    Must(state.Apply(update));
  }

  TempDir dir_;
  std::string path_ = dir_.Sub("state.db");
};

TEST_F(TrustStateTest, DefaultPathIsStateDbInTheStore) {
  auto store = repo::testing::NewStore(dir_.Sub("store"), repo::StoreMode::kBare);
  std::string path = TrustState::DefaultPath(*store);
  EXPECT_EQ(path, store->path() + "/state.db");
  Must(TrustState::Open(path));
  EXPECT_FALSE(ReadTestFile(path).empty());
}

TEST_F(TrustStateTest, NothingIsKnownAtFirst) {
  auto state = OpenState();
  EXPECT_FALSE(Must(state->GetRemote("origin")).has_value());
  EXPECT_FALSE(Must(state->GetRef("origin", "os/stable")).has_value());
  EXPECT_TRUE(Must(state->History(10)).empty());
}

TEST_F(TrustStateTest, ApplyRecordsRemoteRefAndHistory) {
  auto state = OpenState();
  RecordFirstInstall(*state);
  EXPECT_EQ(Must(state->GetRemote("origin")), Remote(1));
  EXPECT_EQ(Must(state->GetRef("origin", "os/stable")), Ref("1.0", kCommitA));
  EXPECT_FALSE(Must(state->GetRef("origin", "os/testing")).has_value());
  EXPECT_FALSE(Must(state->GetRef("mirror", "os/stable")).has_value());
  std::vector<HistoryEntry> history = Must(state->History(10));
  ASSERT_EQ(history.size(), 1u);
  HistoryEntry want = Entry("pull", "ok");
  want.id = history[0].id;
  EXPECT_GT(want.id, 0);
  EXPECT_EQ(history[0], want);
}

TEST_F(TrustStateTest, HistoryKeepsMissingCommitsAndEveryField) {
  auto state = OpenState();
  HistoryEntry entry = Entry("bundle-apply", "refused");
  entry.from_commit.reset();
  entry.detail = "summary serial 3 is older than the accepted 5";
  entry.downgrade_allowed = true;
  Must(state->AddHistory(entry));
  std::vector<HistoryEntry> history = Must(state->History(1));
  ASSERT_EQ(history.size(), 1u);
  entry.id = history[0].id;
  EXPECT_EQ(history[0], entry);
}

TEST_F(TrustStateTest, ApplyFillsInUserAndTimes) {
  auto state = OpenState();
  uint64_t before = static_cast<uint64_t>(std::time(nullptr));
  TrustState::Update update;
  RemoteTrust remote = Remote(1);
  remote.updated = 0;
  RefTrust ref = Ref("1.0", kCommitA);
  ref.updated = 0;
  HistoryEntry entry = Entry("pull", "ok");
  entry.time = 0;
  entry.user.clear();
  update.SetRemote("origin", remote);
  update.SetRef("origin", "os/stable", ref);
  update.AddHistory(entry);
  Must(state->Apply(update));
  uint64_t after = static_cast<uint64_t>(std::time(nullptr));

  for (uint64_t t : {Must(state->GetRemote("origin"))->updated,
                     Must(state->GetRef("origin", "os/stable"))->updated, Must(state->History(1))[0].time}) {
    EXPECT_GE(t, before);
    EXPECT_LE(t, after);
  }
  const passwd* pw = ::getpwuid(::geteuid());
  ASSERT_NE(pw, nullptr);
  EXPECT_EQ(Must(state->History(1))[0].user, pw->pw_name);
}

TEST_F(TrustStateTest, LaterRecordsReplaceEarlierOnes) {
  auto state = OpenState();
  RecordFirstInstall(*state);
  Must(state->Apply(SecondInstall()));
  EXPECT_EQ(Must(state->GetRemote("origin")), Remote(2));
  EXPECT_EQ(Must(state->GetRef("origin", "os/stable")), Ref("1.1", kCommitB));
}

// A failure in the middle of Apply (here the last row breaks a check
// constraint, after the remote and the ref were written) changes nothing.
TEST_F(TrustStateTest, ApplyIsAllOrNothing) {
  auto state = OpenState();
  RecordFirstInstall(*state);
  TrustState::Update update = SecondInstall();
  update.AddHistory(Entry("pull", "ok"));
  update.AddHistory(Entry("pull", "maybe"));
  EXPECT_TRUE(FailsWith(state->Apply(update), StatusCode::kInvalidArgument,
                        "CHECK constraint failed: history_outcome"));

  EXPECT_EQ(Must(state->GetRemote("origin")), Remote(1));
  EXPECT_EQ(Must(state->GetRef("origin", "os/stable")), Ref("1.0", kCommitA));
  EXPECT_EQ(Must(state->History(10)).size(), 1u);
  // The connection is not left inside the failed transaction.
  Must(state->AddHistory(Entry("pull", "failed")));
  EXPECT_EQ(Must(state->History(10)).size(), 2u);
}

TEST_F(TrustStateTest, EmptyActionIsRefused) {
  auto state = OpenState();
  EXPECT_TRUE(FailsWith(state->AddHistory(Entry("", "ok")), StatusCode::kInvalidArgument,
                        "history_action_set"));
}

TEST_F(TrustStateTest, NumbersAboveInt64MaxAreRefusedNotWrapped) {
  auto state = OpenState();
  TrustState::Update update;
  update.SetRemote("origin", Remote(UINT64_MAX));
  EXPECT_TRUE(FailsWith(state->Apply(update), StatusCode::kInvalidArgument,
                        "summary serial 18446744073709551615 is too large"));
  EXPECT_FALSE(Must(state->GetRemote("origin")).has_value());
}

TEST_F(TrustStateTest, AddHistoryRecordsARefusalAndNothingElse) {
  auto state = OpenState();
  RecordFirstInstall(*state);
  Must(state->AddHistory(Entry("pull", "refused")));
  EXPECT_EQ(Must(state->GetRemote("origin")), Remote(1));
  std::vector<HistoryEntry> history = Must(state->History(10));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].outcome, "refused");
}

TEST_F(TrustStateTest, HistoryIsNewestFirstAndLimited) {
  auto state = OpenState();
  // Recording order decides, not the clock (which may step backwards).
  for (uint64_t time : {500, 100, 400, 200, 300}) {
    HistoryEntry entry = Entry("pull", "ok");
    entry.time = time;
    Must(state->AddHistory(entry));
  }
  std::vector<HistoryEntry> all = Must(state->History(SIZE_MAX));
  ASSERT_EQ(all.size(), 5u);
  std::vector<uint64_t> times;
  for (size_t i = 0; i < all.size(); ++i) {
    times.push_back(all[i].time);
    if (i > 0) {
      EXPECT_LT(all[i].id, all[i - 1].id);
    }
  }
  EXPECT_EQ(times, (std::vector<uint64_t>{300, 200, 400, 100, 500}));
  std::vector<HistoryEntry> newest = Must(state->History(2));
  ASSERT_EQ(newest.size(), 2u);
  EXPECT_EQ(newest[0].time, 300u);
  EXPECT_EQ(newest[1].time, 200u);
  EXPECT_TRUE(Must(state->History(0)).empty());
}

TEST_F(TrustStateTest, StateSurvivesReopen) {
  RecordFirstInstall(*OpenState());
  auto state = OpenState();
  EXPECT_EQ(Must(state->GetRemote("origin")), Remote(1));
  EXPECT_EQ(Must(state->GetRef("origin", "os/stable")), Ref("1.0", kCommitA));
  EXPECT_EQ(Must(state->History(10)).size(), 1u);
}

TEST_F(TrustStateTest, GarbageStateDbIsRefusedAndLeftByteIdentical) {
  std::mt19937 rng(7);
  std::string garbage(8192, '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  WriteTestFile(path_, garbage);
  EXPECT_TRUE(FailsWith(TrustState::Open(path_), StatusCode::kCorruption,
                        "state database " + path_ + " is corrupt or not a database: file is not a database"));
  EXPECT_EQ(ReadTestFile(path_), garbage);
  EXPECT_EQ(repo::testing::ListNames(dir_.path()), std::vector<std::string>{"state.db"});
}

TEST_F(TrustStateTest, TruncatedStateDbIsRefusedAndLeftAsItIs) {
  RecordFirstInstall(*OpenState());
  std::string whole = ReadTestFile(path_);
  ASSERT_GT(whole.size(), 4096u);
  repo::testing::TruncateTo(path_, 4096);
  EXPECT_TRUE(FailsWith(TrustState::Open(path_), StatusCode::kCorruption, "is corrupt or not a database"));
  EXPECT_EQ(ReadTestFile(path_), whole.substr(0, 4096));
}

TEST_F(TrustStateTest, StateWrittenByANewerLarchIsRefused) {
  OpenState();
  {
    auto db = Must(sqlite::Database::Open(path_, sqlite::OpenMode::kExisting));
    Must(db->SetUserVersion(99));
  }
  EXPECT_TRUE(FailsWith(TrustState::Open(path_), StatusCode::kUnsupported,
                        "state database " + path_ + " has schema version 99"));
}

// The schema's checks keep such ids out; one that got in anyway (a hand
// edit that switched the checks off) is reported, not misread.
TEST_F(TrustStateTest, DamagedStoredCommitIdIsCorruption) {
  auto state = OpenState();
  Must(state->database().Exec(
      "PRAGMA ignore_check_constraints = ON;"
      "INSERT INTO refs VALUES ('origin', 'os/stable', '1.0', 'not hex', 0, 0)"));
  EXPECT_TRUE(FailsWith(state->GetRef("origin", "os/stable"), StatusCode::kCorruption,
                        "state database " + path_ + ": ref os/stable of remote origin: invalid object id"));
}

}  // namespace
}  // namespace larch::trust
