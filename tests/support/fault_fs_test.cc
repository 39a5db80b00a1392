#include "tests/support/fault_fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "src/fs/atomic.h"
#include "tests/support/temp_dir.h"

namespace larch::fs {
namespace {

using ::larch::testing::ReadTestFile;
using ::larch::testing::TempDir;
using ::larch::testing::WriteTestFile;

bool PathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

class FaultFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_.Reset(::open(tmp_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_.valid());
  }

  // Creates dir/name with `content` through `fs`, fsyncing the file if asked.
  void Create(Fs& fs, int dir, const std::string& name, const std::string& content,
              bool sync_file) {
    Result<UniqueFd> fd = fs.CreateExclusive(dir, name, 0644);
    ASSERT_TRUE(fd.ok()) << fd.status().ToString();
    ASSERT_TRUE(fs.Write(fd->get(), AsBytes(content)).ok());
    if (sync_file) {
      ASSERT_TRUE(fs.Fsync(fd->get()).ok());
    }
  }

  // A durable file made before the FaultFs starts watching.
  void Durable(const std::string& name, const std::string& content) {
    ASSERT_TRUE(WriteFileAtomic(*DefaultFs(), root_.get(), name, AsBytes(content)).ok());
  }

  std::vector<std::string> Names(const std::string& dir) {
    std::vector<std::string> names;
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    Result<std::vector<DirEntry>> entries = DefaultFs()->ReadDir(fd.get());
    EXPECT_TRUE(entries.ok());
    if (!entries.ok()) return names;
    for (const DirEntry& e : *entries) names.push_back(e.name);
    std::sort(names.begin(), names.end());
    return names;
  }

  TempDir tmp_;
  UniqueFd root_;
  FaultFs ffs_{DefaultFs()};
};

TEST_F(FaultFsTest, CountsOnlyMutatingCalls) {
  EXPECT_EQ(ffs_.mutation_count(), 0u);
  ASSERT_TRUE(ffs_.Mkdir(root_.get(), "d", 0755).ok());          // 1
  Create(ffs_, root_.get(), "f", "data", /*sync_file=*/true);   // 2, 3, 4
  ASSERT_TRUE(ffs_.Stat(root_.get(), "f").ok());
  ASSERT_TRUE(ffs_.ReadDir(root_.get()).ok());
  ASSERT_TRUE(ReadFileFully(ffs_, root_.get(), "f").ok());
  ASSERT_TRUE(ffs_.GetXattrs(root_.get(), "f").ok());
  EXPECT_EQ(ffs_.mutation_count(), 4u);
  ASSERT_TRUE(ffs_.Rename(root_.get(), "f", root_.get(), "g", RenameMode::kReplace).ok());  // 5
  ASSERT_TRUE(ffs_.Unlink(root_.get(), "g").ok());  // 6
  ASSERT_TRUE(ffs_.Rmdir(root_.get(), "d").ok());   // 7
  EXPECT_EQ(ffs_.mutation_count(), 7u);
  // A failing mutating call still counts: it reached the filesystem.
  EXPECT_TRUE(ffs_.Unlink(root_.get(), "g").IsNotFound());
  EXPECT_EQ(ffs_.mutation_count(), 8u);
  EXPECT_FALSE(ffs_.crashed());
}

// A file streamed in many writes: only the first write of each run of
// writes to one fd is a distinct crash point, and crashing at any later write
// of the run leaves exactly the disk that crashing at the run's first does.
TEST_F(FaultFsTest, CrashPointsToSweepSampleEveryNthAndTheLastWhenAsked) {
  Durable("old", "kept");
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(ffs_.Mkdir(root_.get(), "d" + std::to_string(i), 0755).ok());
  const std::vector<uint64_t> all = ffs_.DistinctCrashPoints();
  ASSERT_EQ(all, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7}));
  const char* before = std::getenv("LARCH_CRASH_SAMPLE");
  const std::string saved = before == nullptr ? "" : before;
  ::unsetenv("LARCH_CRASH_SAMPLE");
  EXPECT_EQ(ffs_.CrashPointsToSweep(), all);
  ::setenv("LARCH_CRASH_SAMPLE", "1", 1);
  EXPECT_EQ(ffs_.CrashPointsToSweep(), all);
  ::setenv("LARCH_CRASH_SAMPLE", "3", 1);
  EXPECT_EQ(ffs_.CrashPointsToSweep(), (std::vector<uint64_t>{1, 4, 7}));
  ::setenv("LARCH_CRASH_SAMPLE", "4", 1);
  EXPECT_EQ(ffs_.CrashPointsToSweep(), (std::vector<uint64_t>{1, 5, 7}));
  if (before == nullptr) {
    ::unsetenv("LARCH_CRASH_SAMPLE");
  } else {
    ::setenv("LARCH_CRASH_SAMPLE", saved.c_str(), 1);
  }
}

TEST_F(FaultFsTest, DistinctCrashPointsSkipWritesThatContinueARun) {
  Durable("old", "kept");
  auto stream = [&](Fs& fs) {
    Result<UniqueFd> a = fs.CreateExclusive(root_.get(), "a", 0644);  // 1
    if (!a.ok() || !fs.Fsync(root_.get()).ok()) return;                // 2
    for (int i = 0; i < 4; ++i) {                                      // 3..6
      if (!fs.Write(a->get(), AsBytes(std::string(1000, 'x'))).ok()) return;
    }
    if (!fs.Fsync(a->get()).ok()) return;                              // 7
    if (!fs.Write(a->get(), AsBytes(std::string("tail"))).ok()) return;  // 8
    if (!fs.Write(a->get(), AsBytes(std::string("more"))).ok()) return;  // 9
    if (!fs.Fsync(a->get()).ok()) return;                              // 10
  };
  stream(ffs_);
  EXPECT_EQ(ffs_.mutation_count(), 10u);
  EXPECT_EQ(ffs_.DistinctCrashPoints(), (std::vector<uint64_t>{1, 2, 3, 7, 8, 10}));
  ASSERT_TRUE(ffs_.SimulatePowerLoss().ok());
  EXPECT_TRUE(ffs_.DistinctCrashPoints().empty());  // a reboot forgets them

  auto disk_after_crash_at = [&](uint64_t n) {
    ::unlinkat(root_.get(), "a", 0);
    FaultFs ffs(DefaultFs());
    ffs.CrashAtMutation(n);
    stream(ffs);
    EXPECT_TRUE(ffs.SimulatePowerLoss().ok());
    std::string state;
    for (const std::string& name : Names(tmp_.path())) {
      state += name + "=" + ReadTestFile(tmp_.Sub(name)) + ";";
    }
    return state;
  };
  for (uint64_t n : {4, 5, 6}) EXPECT_EQ(disk_after_crash_at(n), disk_after_crash_at(3)) << n;
  EXPECT_EQ(disk_after_crash_at(9), disk_after_crash_at(8));
  // ...and the points kept are not all alike: the sweep still sees each
  // durable state (an empty file, then 4000 bytes).
  EXPECT_NE(disk_after_crash_at(3), disk_after_crash_at(8));
}

TEST_F(FaultFsTest, CrashAtMutationFailsThatCallAndEveryLaterOne) {
  ffs_.CrashAtMutation(2);
  ASSERT_TRUE(ffs_.Mkdir(root_.get(), "a", 0755).ok());
  Status s = ffs_.Mkdir(root_.get(), "b", 0755);
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(s.sys_errno(), EIO);
  EXPECT_TRUE(ffs_.crashed());
  EXPECT_FALSE(PathExists(tmp_.Sub("b")));  // the crashing call never happened
  EXPECT_EQ(ffs_.Mkdir(root_.get(), "c", 0755).sys_errno(), EIO);
  EXPECT_EQ(ffs_.Stat(root_.get(), "a").status().sys_errno(), EIO);
  EXPECT_EQ(ffs_.OpenDirPath(root_.get(), "a").status().sys_errno(), EIO);
  EXPECT_FALSE(PathExists(tmp_.Sub("c")));
}

TEST_F(FaultFsTest, FailMutationInjectsErrnoOnce) {
  ffs_.FailMutation(2, ENOSPC);
  ASSERT_TRUE(ffs_.Mkdir(root_.get(), "a", 0755).ok());
  Status s = ffs_.Mkdir(root_.get(), "b", 0755);
  EXPECT_EQ(s.code(), StatusCode::kNoSpace) << s.ToString();
  EXPECT_FALSE(PathExists(tmp_.Sub("b")));
  EXPECT_TRUE(ffs_.Mkdir(root_.get(), "b", 0755).ok());
  EXPECT_FALSE(ffs_.crashed());
  EXPECT_EQ(ffs_.mutation_count(), 3u);
}

TEST_F(FaultFsTest, FailedWriteFileAtomicLeavesOldFileAndNoTemp) {
  Durable("f", "old");
  for (uint64_t i = 1;; ++i) {
    FaultFs ffs(DefaultFs());
    ffs.FailMutation(i, ENOSPC);
    Status s = WriteFileAtomic(ffs, root_.get(), "f", AsBytes("new"));
    if (s.ok()) {
      EXPECT_GT(i, 4u);  // create, write, fsync, rename must all have run
      break;
    }
    EXPECT_EQ(s.code(), StatusCode::kNoSpace) << i << ": " << s.ToString();
    EXPECT_EQ(Names(tmp_.path()), std::vector<std::string>{"f"}) << i;
    std::string content = ReadTestFile(tmp_.Sub("f"));
    EXPECT_TRUE(content == "old" || content == "new") << i;  // a failed dir fsync is after rename
    ASSERT_LT(i, 20u);
  }
  EXPECT_EQ(ReadTestFile(tmp_.Sub("f")), "new");
}

TEST_F(FaultFsTest, PowerLossTruncatesUnsyncedData) {
  Durable("f", "synced");
  Result<UniqueFd> fd = ffs_.OpenWrite(root_.get(), "f");
  ASSERT_TRUE(fd.ok());
  ASSERT_EQ(::lseek(fd->get(), 0, SEEK_END), 6);
  ASSERT_TRUE(ffs_.Write(fd->get(), AsBytes("-lost")).ok());
  Create(ffs_, root_.get(), "g", "g-data", /*sync_file=*/false);
  ASSERT_TRUE(ffs_.Fsync(root_.get()).ok());  // g's name is durable, its data is not
  EXPECT_EQ(ReadTestFile(tmp_.Sub("f")), "synced-lost");
  ASSERT_TRUE(ffs_.SimulatePowerLoss().ok());
  EXPECT_EQ(ReadTestFile(tmp_.Sub("f")), "synced");
  EXPECT_TRUE(PathExists(tmp_.Sub("g")));
  EXPECT_EQ(ReadTestFile(tmp_.Sub("g")), "");
}

TEST_F(FaultFsTest, PowerLossKeepsDataSyncedBeforeLaterWrites) {
  Create(ffs_, root_.get(), "f", "one", /*sync_file=*/true);
  ASSERT_TRUE(ffs_.Fsync(root_.get()).ok());
  Result<UniqueFd> fd = ffs_.OpenWrite(root_.get(), "f");
  ASSERT_TRUE(fd.ok());
  ASSERT_EQ(::lseek(fd->get(), 0, SEEK_END), 3);
  ASSERT_TRUE(ffs_.Write(fd->get(), AsBytes("two")).ok());
  ASSERT_TRUE(ffs_.Fsync(fd->get()).ok());
  ASSERT_TRUE(ffs_.Write(fd->get(), AsBytes("three")).ok());
  ASSERT_TRUE(ffs_.SimulatePowerLoss().ok());
  EXPECT_EQ(ReadTestFile(tmp_.Sub("f")), "onetwo");
}

TEST_F(FaultFsTest, FileCreatedWithoutDirFsyncDisappears) {
  Create(ffs_, root_.get(), "f", "data", /*sync_file=*/true);
  ASSERT_TRUE(ffs_.Symlink("f", root_.get(), "l").ok());
  ASSERT_TRUE(ffs_.Link(root_.get(), "f", root_.get(), "hard").ok());
  ASSERT_TRUE(ffs_.SimulatePowerLoss().ok());
  EXPECT_TRUE(Names(tmp_.path()).empty());
}

TEST_F(FaultFsTest, FileAndDirFsyncSurvivePowerLoss) {
  Create(ffs_, root_.get(), "f", "data", /*sync_file=*/true);
  ASSERT_TRUE(ffs_.Fsync(root_.get()).ok());
  Create(ffs_, root_.get(), "late", "x", /*sync_file=*/true);  // after the dir fsync
  ASSERT_TRUE(ffs_.SimulatePowerLoss().ok());
  EXPECT_EQ(Names(tmp_.path()), std::vector<std::string>{"f"});
  EXPECT_EQ(ReadTestFile(tmp_.Sub("f")), "data");
}

TEST_F(FaultFsTest, SyncFsMakesEverythingDurable) {
  ASSERT_TRUE(ffs_.Mkdir(root_.get(), "d", 0755).ok());
  Result<UniqueFd> d = ffs_.OpenDirPath(root_.get(), "d");
  ASSERT_TRUE(d.ok());
  Create(ffs_, d->get(), "f", "data", /*sync_file=*/false);
  ASSERT_TRUE(ffs_.Rename(d->get(), "f", root_.get(), "g", RenameMode::kReplace).ok());
  ASSERT_TRUE(ffs_.SyncFs(root_.get()).ok());
  ASSERT_TRUE(ffs_.SimulatePowerLoss().ok());
  EXPECT_EQ(Names(tmp_.path()), (std::vector<std::string>{"d", "g"}));
  EXPECT_EQ(ReadTestFile(tmp_.Sub("g")), "data");
}

TEST_F(FaultFsTest, RenameOverExistingWithoutDirFsyncRollsBack) {
  Durable("f", "old");
  ASSERT_EQ(::chmod(tmp_.Sub("f").c_str(), 0640), 0);
  bool has_xattr = DefaultFs()->SetXattr(root_.get(), "f", Xattr{"user.k", Bytes{7}}).ok();
  Create(ffs_, root_.get(), "f.tmp", "new", /*sync_file=*/true);
  ASSERT_TRUE(ffs_.Rename(root_.get(), "f.tmp", root_.get(), "f", RenameMode::kReplace).ok());
  EXPECT_EQ(ReadTestFile(tmp_.Sub("f")), "new");
  ASSERT_TRUE(ffs_.SimulatePowerLoss().ok());
  EXPECT_EQ(Names(tmp_.path()), std::vector<std::string>{"f"});
  EXPECT_EQ(ReadTestFile(tmp_.Sub("f")), "old");
  struct stat st;
  ASSERT_EQ(::stat(tmp_.Sub("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  if (has_xattr) {
    Result<Xattrs> x = DefaultFs()->GetXattrs(root_.get(), "f");
    ASSERT_TRUE(x.ok());
    EXPECT_NE(std::find(x->begin(), x->end(), Xattr{"user.k", Bytes{7}}), x->end());
  }
}

TEST_F(FaultFsTest, RenameOfDurableFileIsMovedBack) {
  Durable("a", "content");
  ASSERT_EQ(::mkdir(tmp_.Sub("d").c_str(), 0755), 0);
  Result<UniqueFd> d = ffs_.OpenDirPath(root_.get(), "d");
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(ffs_.Rename(root_.get(), "a", d->get(), "b", RenameMode::kNoReplace).ok());
  ASSERT_TRUE(ffs_.Fsync(root_.get()).ok());  // the source directory only
  ASSERT_TRUE(ffs_.SimulatePowerLoss().ok());
  EXPECT_EQ(ReadTestFile(tmp_.Sub("a")), "content");
  EXPECT_TRUE(Names(tmp_.Sub("d")).empty());
}

TEST_F(FaultFsTest, UnlinkIsNotResurrected) {
  Durable("f", "x");
  ASSERT_TRUE(ffs_.Unlink(root_.get(), "f").ok());
  ASSERT_TRUE(ffs_.SimulatePowerLoss().ok());
  EXPECT_FALSE(PathExists(tmp_.Sub("f")));
}

TEST_F(FaultFsTest, NewDirectoryTreeVanishesWithoutParentFsync) {
  ASSERT_TRUE(ffs_.Mkdir(root_.get(), "d", 0755).ok());
  Result<UniqueFd> d = ffs_.OpenDirPath(root_.get(), "d");
  ASSERT_TRUE(d.ok());
  Create(ffs_, d->get(), "f", "x", /*sync_file=*/true);
  ASSERT_TRUE(ffs_.Fsync(d->get()).ok());
  ASSERT_TRUE(ffs_.SimulatePowerLoss().ok());
  EXPECT_TRUE(Names(tmp_.path()).empty());
}

TEST_F(FaultFsTest, FsyncUnderRenamedDirectoryName) {
  ASSERT_EQ(::mkdir(tmp_.Sub("staging").c_str(), 0755), 0);
  Result<UniqueFd> st = ffs_.OpenDirPath(root_.get(), "staging");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(ffs_.Mkdir(st->get(), "x", 0755).ok());
  Result<UniqueFd> x = ffs_.OpenDirPath(st->get(), "x");
  ASSERT_TRUE(x.ok());
  Create(ffs_, x->get(), "f", "payload", /*sync_file=*/true);
  // Publish the staging dir under its final name, then make it all durable
  // by fsyncing the directories through their new names.
  ASSERT_TRUE(ffs_.Rename(root_.get(), "staging", root_.get(), "final", RenameMode::kNoReplace).ok());
  ASSERT_TRUE(ffs_.Fsync(x->get()).ok());
  ASSERT_TRUE(ffs_.Fsync(st->get()).ok());
  ASSERT_TRUE(ffs_.Fsync(root_.get()).ok());
  ASSERT_TRUE(ffs_.SimulatePowerLoss().ok());
  EXPECT_EQ(ReadTestFile(tmp_.Sub("final/x/f")), "payload");
  EXPECT_FALSE(PathExists(tmp_.Sub("staging")));
}

TEST_F(FaultFsTest, UnsyncedRenameOfDirectoryRestoresItsContents) {
  ASSERT_EQ(::mkdir(tmp_.Sub("a").c_str(), 0755), 0);
  Result<UniqueFd> a = ffs_.OpenDirPath(root_.get(), "a");
  ASSERT_TRUE(a.ok());
  Create(ffs_, a->get(), "f", "kept", /*sync_file=*/true);
  ASSERT_TRUE(ffs_.Fsync(a->get()).ok());
  ASSERT_TRUE(ffs_.Rename(root_.get(), "a", root_.get(), "b", RenameMode::kReplace).ok());
  Create(ffs_, a->get(), "g", "lost", /*sync_file=*/true);  // lands in b/
  ASSERT_TRUE(ffs_.SimulatePowerLoss().ok());
  EXPECT_EQ(Names(tmp_.path()), std::vector<std::string>{"a"});
  EXPECT_EQ(Names(tmp_.Sub("a")), std::vector<std::string>{"f"});
  EXPECT_EQ(ReadTestFile(tmp_.Sub("a/f")), "kept");
}

TEST_F(FaultFsTest, ExchangeWithoutDirFsyncIsSwappedBack) {
  Durable("a", "A");
  Durable("b", "B");
  ASSERT_TRUE(ffs_.Rename(root_.get(), "a", root_.get(), "b", RenameMode::kExchange).ok());
  EXPECT_EQ(ReadTestFile(tmp_.Sub("a")), "B");
  ASSERT_TRUE(ffs_.SimulatePowerLoss().ok());
  EXPECT_EQ(ReadTestFile(tmp_.Sub("a")), "A");
  EXPECT_EQ(ReadTestFile(tmp_.Sub("b")), "B");
}

// Crashes WriteFileAtomic at each mutation in turn: after power loss the
// target holds the old content (`old_content`, "" meaning absent) or the
// new one, and no temp file is left behind.
void SweepWriteFileAtomic(const TempDir& tmp, int root, bool target_exists) {
  for (uint64_t i = 1;; ++i) {
    SCOPED_TRACE("crash at mutation " + std::to_string(i));
    ASSERT_LT(i, 20u);
    FaultFs ffs(DefaultFs());
    ffs.CrashAtMutation(i);
    Status s = WriteFileAtomic(ffs, root, "target", AsBytes("new content"));
    bool crashed = ffs.crashed();
    ASSERT_TRUE(ffs.SimulatePowerLoss().ok());
    std::string content = PathExists(tmp.Sub("target")) ? ReadTestFile(tmp.Sub("target")) : "<absent>";
    std::string old = target_exists ? "old content" : "<absent>";
    EXPECT_TRUE(content == old || content == "new content") << content;
    UniqueFd fd(::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    Result<std::vector<DirEntry>> entries = DefaultFs()->ReadDir(fd.get());
    ASSERT_TRUE(entries.ok());
    EXPECT_LE(entries->size(), 1u);  // no stray temp file
    if (!crashed) {
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(content, "new content");
      EXPECT_GE(i, 5u);
      return;
    }
    EXPECT_FALSE(s.ok());
    if (target_exists) {
      ASSERT_TRUE(WriteFileAtomic(*DefaultFs(), root, "target", AsBytes("old content")).ok());
    } else if (PathExists(tmp.Sub("target"))) {
      ASSERT_EQ(::unlink(tmp.Sub("target").c_str()), 0);
    }
  }
}

TEST_F(FaultFsTest, WriteFileAtomicCrashSweepOverExistingFile) {
  Durable("target", "old content");
  SweepWriteFileAtomic(tmp_, root_.get(), /*target_exists=*/true);
}

TEST_F(FaultFsTest, WriteFileAtomicCrashSweepNewFile) {
  SweepWriteFileAtomic(tmp_, root_.get(), /*target_exists=*/false);
}

TEST_F(FaultFsTest, SymlinkAtomicCrashSweep) {
  ASSERT_EQ(::symlink("old", tmp_.Sub("cur").c_str()), 0);
  for (uint64_t i = 1;; ++i) {
    SCOPED_TRACE("crash at mutation " + std::to_string(i));
    ASSERT_LT(i, 20u);
    FaultFs ffs(DefaultFs());
    ffs.CrashAtMutation(i);
    Status s = SymlinkAtomic(ffs, root_.get(), "new", "cur");
    bool crashed = ffs.crashed();
    ASSERT_TRUE(ffs.SimulatePowerLoss().ok());
    EXPECT_EQ(Names(tmp_.path()), std::vector<std::string>{"cur"});
    Result<std::string> target = DefaultFs()->ReadLink(root_.get(), "cur");
    ASSERT_TRUE(target.ok());
    if (!crashed) {
      ASSERT_TRUE(s.ok());
      EXPECT_EQ(*target, "new");
      break;
    }
    EXPECT_EQ(*target, "old");
  }
}

TEST_F(FaultFsTest, ConcurrentWritersAreCountedAndTracked) {
  constexpr int kPerThread = 50;
  auto writer = [&](const std::string& prefix) {
    for (int i = 0; i < kPerThread; ++i) {
      std::string name = prefix + std::to_string(i);
      Result<UniqueFd> fd = ffs_.CreateExclusive(root_.get(), name, 0644);
      ASSERT_TRUE(fd.ok());
      ASSERT_TRUE(ffs_.Write(fd->get(), AsBytes(name)).ok());
      if (i % 2 == 0) {
        ASSERT_TRUE(ffs_.Fsync(fd->get()).ok());
      }
    }
  };
  std::thread t1(writer, "a");
  std::thread t2(writer, "b");
  t1.join();
  t2.join();
  EXPECT_EQ(ffs_.mutation_count(), 2u * (kPerThread * 2 + kPerThread / 2));
  ASSERT_TRUE(ffs_.Fsync(root_.get()).ok());
  ASSERT_TRUE(ffs_.SimulatePowerLoss().ok());
  EXPECT_EQ(Names(tmp_.path()).size(), 2u * kPerThread);
  EXPECT_EQ(ReadTestFile(tmp_.Sub("a0")), "a0");
  EXPECT_EQ(ReadTestFile(tmp_.Sub("b1")), "");  // never fsynced
}

TEST_F(FaultFsTest, PowerLossResetsState) {
  ffs_.CrashAtMutation(1);
  EXPECT_FALSE(ffs_.Mkdir(root_.get(), "d", 0755).ok());
  ASSERT_TRUE(ffs_.SimulatePowerLoss().ok());
  EXPECT_FALSE(ffs_.crashed());
  EXPECT_EQ(ffs_.mutation_count(), 0u);
  ASSERT_TRUE(ffs_.Mkdir(root_.get(), "d", 0755).ok());
  ASSERT_TRUE(ffs_.Fsync(root_.get()).ok());
  ASSERT_TRUE(ffs_.SimulatePowerLoss().ok());
  EXPECT_TRUE(PathExists(tmp_.Sub("d")));
}

}  // namespace
}  // namespace larch::fs
