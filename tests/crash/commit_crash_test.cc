// Crash sweep for commit: for every mutating filesystem call i of a commit,
// "lose power" at i (FaultFs drops everything not yet durable), reopen the
// store and check that fsck passes and the branch names the old commit or
// the new one, never anything else; then a fresh commit must succeed.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "repo/commit_builder.h"
#include "repo/fsck.h"
#include "repo/prune.h"
#include "repo/refs.h"
#include "tests/crash/no_sync_fs.h"
#include "tests/support/fault_fs.h"
#include "tests/support/temp_dir.h"

namespace larch::repo {
namespace {

using larch::testing::TempDir;
using larch::testing::WriteTestFile;
namespace stdfs = std::filesystem;

constexpr uint64_t kTimestamp = 1700000000;

void MakeTree(const std::string& root, const std::string& flavour) {
  stdfs::create_directories(root + "/usr/bin");
  stdfs::create_directories(root + "/etc/empty.d");
  WriteTestFile(root + "/usr/bin/tool", "#!/bin/sh\necho " + flavour + "\n", 0755);
  WriteTestFile(root + "/etc/os-release", "NAME=test\nVERSION=" + flavour + "\n");
  WriteTestFile(root + "/usr/bin/big", std::string(300000, 'x') + flavour, 0644);
  WriteTestFile(root + "/shared", "same in every version\n");
  ::symlink("usr/bin/tool", (root + "/tool-link").c_str());
  ::link((root + "/usr/bin/tool").c_str(), (root + "/usr/bin/tool-hardlink").c_str());
}

CommitOptions Options() {
  CommitOptions o;
  o.branch = "os/stable";
  o.subject = "crash sweep";
  o.timestamp = kTimestamp;
  o.threads = 1;  // one thread: the i-th mutation is the same call every run
  return o;
}

struct Fixture {
  TempDir dir;
  std::string pristine = dir.Sub("pristine");
  std::string v2 = dir.Sub("v2");
  ObjectId old_commit;
  ObjectId new_commit;
};

// cp -a: bare stores hold symlink objects, owners and modes that must stay.
void CopyTree(const std::string& from, const std::string& to) {
  std::string cmd = "cp -a '" + from + "' '" + to + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

// A store holding v1 on the branch, and the id v2 gets when nothing fails.
void Prepare(Fixture& f, StoreMode mode) {
  MakeTree(f.dir.Sub("v1"), "one");
  MakeTree(f.v2, "two");
  fs::Fs& posix = crash::Unsynced();
  Status created = Store::Create(posix, f.pristine, StoreConfig{mode, 3});
  ASSERT_TRUE(created.ok()) << created.ToString();
  auto store = Store::Open(posix, f.pristine);
  ASSERT_TRUE(store.ok());
  auto v1 = CommitTree(**store, f.dir.Sub("v1"), Options());
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  f.old_commit = v1->commit;
  std::string probe = f.dir.Sub("probe");
  CopyTree(f.pristine, probe);
  auto probe_store = Store::Open(posix, probe);
  ASSERT_TRUE(probe_store.ok());
  auto v2 = CommitTree(**probe_store, f.v2, Options());
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  f.new_commit = v2->commit;
}

std::string FreshCopy(const Fixture& f, uint64_t i) {
  std::string path = f.dir.Sub("run-" + std::to_string(i));
  CopyTree(f.pristine, path);
  return path;
}

void ExpectConsistent(const Fixture& f, const std::string& path, uint64_t i) {
  auto store = Store::Open(crash::Unsynced(), path);
  ASSERT_TRUE(store.ok()) << "crash at " << i << ": " << store.status().ToString();
  auto report = Fsck(**store, FsckOptions{});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << "crash at " << i << ": "
                            << (report->problems.empty() ? "" : report->problems[0]);
  auto ref = ReadRef(**store, "os/stable");
  ASSERT_TRUE(ref.ok() && ref->has_value()) << "crash at " << i;
  EXPECT_TRUE(**ref == f.old_commit || **ref == f.new_commit) << "crash at " << i;
  bool still_old = **ref == f.old_commit;
  // The next commit after the crash finishes the job (from the old commit
  // it must produce exactly the commit an uninterrupted run made).
  auto again = CommitTree(**store, f.v2, Options());
  ASSERT_TRUE(again.ok()) << "crash at " << i << ": " << again.status().ToString();
  if (still_old) {
    EXPECT_EQ(again->commit, f.new_commit) << "crash at " << i;
  }
  auto after = Fsck(**store, FsckOptions{});
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->ok()) << "crash at " << i;
}

// The crash points of an uninterrupted commit (FaultFs::DistinctCrashPoints).
std::vector<uint64_t> CrashPoints(const Fixture& f) {
  std::string path = FreshCopy(f, 0);
  fs::FaultFs counter(&crash::Unsynced());
  auto store = Store::Open(counter, path);
  EXPECT_TRUE(store.ok());
  auto result = CommitTree(**store, f.v2, Options());
  EXPECT_TRUE(result.ok());
  return counter.CrashPointsToSweep();
}

class CommitCrashTest : public ::testing::TestWithParam<StoreMode> {};

TEST_P(CommitCrashTest, EveryFilesystemStepLeavesOldOrNewCommit) {
  if (GetParam() == StoreMode::kBare && ::geteuid() != 0) GTEST_SKIP() << "bare stores need root";
  Fixture f;
  Prepare(f, GetParam());
  std::vector<uint64_t> points = CrashPoints(f);
  ASSERT_GT(points.size(), 10u);
  for (uint64_t i : points) {
    std::string path = FreshCopy(f, i);
    {
      fs::FaultFs faulty(&crash::Unsynced());
      faulty.CrashAtMutation(i);
      auto store = Store::Open(faulty, path);
      ASSERT_TRUE(store.ok());
      // Usually fails; a crash in the best-effort cleanup after the ref
      // moved is invisible to the caller, which is fine.
      (void)CommitTree(**store, f.v2, Options());
      store->reset();
      ASSERT_TRUE(faulty.SimulatePowerLoss().ok());
    }
    ExpectConsistent(f, path, i);
    stdfs::remove_all(path);
  }
}

TEST_P(CommitCrashTest, PruneCrashNeverLeavesACommitWithoutItsTree) {
  if (GetParam() == StoreMode::kBare && ::geteuid() != 0) GTEST_SKIP() << "bare stores need root";
  Fixture f;
  Prepare(f, GetParam());
  {
    auto store = Store::Open(crash::Unsynced(), f.pristine);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(CommitTree(**store, f.v2, Options()).ok());
  }
  PruneOptions prune{false, false};  // drop v1: it is history only
  std::string probe = FreshCopy(f, 0);
  fs::FaultFs counter(&crash::Unsynced());
  {
    auto store = Store::Open(counter, probe);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(Prune(**store, prune).ok());
  }
  for (uint64_t i : counter.CrashPointsToSweep()) {
    std::string path = FreshCopy(f, i);
    {
      fs::FaultFs faulty(&crash::Unsynced());
      faulty.CrashAtMutation(i);
      auto store = Store::Open(faulty, path);
      ASSERT_TRUE(store.ok());
      (void)Prune(**store, prune);
      store->reset();
      ASSERT_TRUE(faulty.SimulatePowerLoss().ok());
    }
    auto store = Store::Open(crash::Unsynced(), path);
    ASSERT_TRUE(store.ok());
    auto report = Fsck(**store, FsckOptions{});
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok()) << "prune crash at " << i << ": "
                              << (report->problems.empty() ? "" : report->problems[0]);
    stdfs::remove_all(path);
  }
}

// Many small, similar files: enough for zstd to train a dictionary.
void MakeDictionaryTree(const std::string& root) {
  stdfs::create_directories(root + "/usr/share/doc");
  for (int i = 0; i < 24; ++i) {
    std::string text;
    for (int line = 0; line < 120; ++line)
      text += "package-" + std::to_string(i) + " line " + std::to_string(line) +
              ": Copyright (C) The Larch Authors, GPL-2.0-or-later\n";
    WriteTestFile(root + "/usr/share/doc/file" + std::to_string(i), text);
  }
}

CommitOptions TrainingOptions() {
  CommitOptions o = Options();
  o.dictionary_min_samples = 8;
  o.dictionary_min_bytes = 16 << 10;
  return o;
}

// The first commit into an empty archive store trains and installs a
// dictionary before any object that uses it is published.
TEST(CommitCrashDictionaryTest, FirstCommitTrainingADictionary) {
  TempDir dir;
  std::string tree = dir.Sub("tree"), pristine = dir.Sub("pristine");
  MakeDictionaryTree(tree);
  fs::Fs& posix = crash::Unsynced();
  ASSERT_TRUE(Store::Create(posix, pristine, StoreConfig{StoreMode::kArchive, 3}).ok());
  std::string probe = dir.Sub("probe");
  CopyTree(pristine, probe);
  fs::FaultFs counter(&posix);
  ObjectId expected;
  {
    auto store = Store::Open(counter, probe);
    ASSERT_TRUE(store.ok());
    auto result = CommitTree(**store, tree, TrainingOptions());
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    ASSERT_NE((*store)->config().dictionary, 0u) << "the tree did not train a dictionary";
    expected = result->commit;
  }
  for (uint64_t i : counter.CrashPointsToSweep()) {
    std::string path = dir.Sub("run-" + std::to_string(i));
    CopyTree(pristine, path);
    {
      fs::FaultFs faulty(&posix);
      faulty.CrashAtMutation(i);
      auto store = Store::Open(faulty, path);
      ASSERT_TRUE(store.ok());
      (void)CommitTree(**store, tree, TrainingOptions());
      store->reset();
      ASSERT_TRUE(faulty.SimulatePowerLoss().ok());
    }
    auto store = Store::Open(posix, path);
    ASSERT_TRUE(store.ok()) << "crash at " << i << ": " << store.status().ToString();
    auto report = Fsck(**store, FsckOptions{});
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok()) << "crash at " << i << ": " << report->problems[0];
    auto ref = ReadRef(**store, "os/stable");
    ASSERT_TRUE(ref.ok());
    EXPECT_TRUE(!ref->has_value() || **ref == expected) << "crash at " << i;
    auto again = CommitTree(**store, tree, TrainingOptions());
    ASSERT_TRUE(again.ok()) << "crash at " << i << ": " << again.status().ToString();
    stdfs::remove_all(path);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, CommitCrashTest,
                         ::testing::Values(StoreMode::kArchive, StoreMode::kBare),
                         [](const ::testing::TestParamInfo<StoreMode>& param_info) {
                           return std::string(StoreModeName(param_info.param));
                         });

}  // namespace
}  // namespace larch::repo
