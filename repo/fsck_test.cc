// Fsck on damaged stores: each kind of damage must be found, and the
// problem must name the object (objects/xx/....type) or the ref, in archive
// and bare stores alike.
#include "repo/fsck.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "repo/refs.h"
#include "repo/repo_test_util.h"

namespace larch::repo {
namespace {

using testing::FailsWith;
using testing::FileKeyAt;
using testing::Must;
using testing::NewStore;
using testing::ObjectPath;
using testing::TempDir;
using testing::WriteTestFile;
namespace stdfs = std::filesystem;

// The file every file-damage test hits; big enough that zstd compresses it.
constexpr char kVictim[] = "/etc/motd";

class FsckTest : public ::testing::TestWithParam<StoreMode> {
 protected:
  void SetUp() override {
    const std::string src = dir_.Sub("src");
    stdfs::create_directories(src + "/etc");
    stdfs::create_directories(src + "/bin");
    std::string motd;
    for (int i = 0; i < 200; ++i) motd += "line " + std::to_string(i) + " of the message of the day\n";
    WriteTestFile(src + kVictim, motd);
    WriteTestFile(src + "/bin/tool", "#!/bin/sh\necho tool\n", 0755);
    WriteTestFile(src + "/empty", "");
    ASSERT_EQ(::symlink("etc/motd", (src + "/link").c_str()), 0);
    commit_ = testing::CommitTo(*store_, src, "main").commit;
    victim_ = FileKeyAt(*store_, commit_, kVictim);
  }

  bool archive() const { return GetParam() == StoreMode::kArchive; }
  std::string VictimPath() const { return ObjectPath(*store_, victim_); }
  Commit TheCommit() const { return Must(store_->ReadCommit(commit_)); }
  FsckReport Check() const { return Must(Fsck(*store_, FsckOptions{})); }

  // Fsck must fail with a problem naming `needle`.
  void ExpectProblemNaming(const std::string& needle) {
    FsckReport report = Check();
    EXPECT_FALSE(report.ok());
    std::string all;
    for (const std::string& p : report.problems) all += "  " + p + "\n";
    EXPECT_NE(all.find(needle), std::string::npos) << "no problem names " << needle << ":\n" << all;
  }

  void ExpectObjectReported(const ObjectKey& key) { ExpectProblemNaming(Store::ObjectRelPath(key)); }

  TempDir dir_;
  std::unique_ptr<Store> store_ = NewStore(dir_.Sub("store"), GetParam());
  ObjectId commit_;
  ObjectKey victim_;
};

TEST_P(FsckTest, CleanStoreIsOk) {
  FsckReport report = Check();
  EXPECT_TRUE(report.ok()) << report.problems.front();
  EXPECT_EQ(report.commits, 1u);
  EXPECT_EQ(report.refs, 1u);
  EXPECT_EQ(report.objects, Must(store_->ListObjects()).size());
}

TEST_P(FsckTest, FlippedContentByteIsReported) {
  // Archive: a byte inside the zstd frame; bare: the first content byte.
  testing::FlipByte(VictimPath(), archive() ? testing::FileSize(VictimPath()) / 2 + 20 : 0);
  ExpectObjectReported(victim_);
  ExpectProblemNaming(kVictim);  // the commit that needs it says where
}

TEST_P(FsckTest, LastByteFlipIsReported) {
  testing::FlipByte(VictimPath(), -1);
  ExpectObjectReported(victim_);
}

// Archive: the uid in the header frame (length u32, tag, version, kind,
// mode u32, then uid). Bare: the header is the inode's metadata, so the
// equivalent damage is a changed mode.
TEST_P(FsckTest, DamagedHeaderIsReported) {
  if (archive()) {
    testing::FlipByte(VictimPath(), 4 + 3 + 4);
  } else {
    ASSERT_EQ(::chmod(VictimPath().c_str(), 0600), 0);
  }
  ExpectObjectReported(victim_);
}

// Archive: the length's high byte, announcing a 4 GiB header frame. Bare:
// another header field, the owner.
TEST_P(FsckTest, ImpossibleHeaderLengthOrChangedOwnerIsReported) {
  if (archive()) {
    testing::FlipByte(VictimPath(), 3);
  } else {
    ASSERT_EQ(::lchown(VictimPath().c_str(), 4321, 4321), 0);
  }
  ExpectObjectReported(victim_);
}

TEST_P(FsckTest, TruncatedFileObjectIsReported) {
  testing::TruncateTo(VictimPath(), testing::FileSize(VictimPath()) / 2);
  ExpectObjectReported(victim_);
}

TEST_P(FsckTest, FileObjectCutInsideItsHeaderIsReported) {
  testing::TruncateTo(VictimPath(), archive() ? 6 : 0);
  ExpectObjectReported(victim_);
}

TEST_P(FsckTest, DeletedFileObjectIsReportedMissingForItsPath) {
  ASSERT_TRUE(stdfs::remove(VictimPath()));
  ExpectObjectReported(victim_);
  ExpectProblemNaming(std::string(kVictim) + " is missing");
}

TEST_P(FsckTest, FlippedDirTreeByteIsReported) {
  ObjectKey key{TheCommit().root_tree, ObjectType::kDirTree};
  testing::FlipByte(ObjectPath(*store_, key), 6);
  ExpectObjectReported(key);
}

TEST_P(FsckTest, FlippedDirMetaByteIsReported) {
  ObjectKey key{TheCommit().root_meta, ObjectType::kDirMeta};
  testing::FlipByte(ObjectPath(*store_, key), -1);
  ExpectObjectReported(key);
}

TEST_P(FsckTest, FlippedCommitByteIsReported) {
  ObjectKey key{commit_, ObjectType::kCommit};
  testing::FlipByte(ObjectPath(*store_, key), -2);
  ExpectObjectReported(key);
  ExpectProblemNaming("ref main names commit " + commit_.Hex());
}

TEST_P(FsckTest, DeletedDirTreeIsReported) {
  ObjectKey key{TheCommit().root_tree, ObjectType::kDirTree};
  Must(store_->DeleteObject(key));
  ExpectObjectReported(key);
}

TEST_P(FsckTest, RefNamingMissingCommitIsReported) {
  ObjectId ghost = Must(ObjectId::FromHex(std::string(64, 'e')));
  Must(WriteRef(*store_, "os/ghost", ghost));
  ExpectProblemNaming("ref os/ghost names commit " + ghost.Hex());
}

TEST_P(FsckTest, RefNamingMissingCommitAfterDeletingItIsReported) {
  Must(store_->DeleteObject({commit_, ObjectType::kCommit}));
  ExpectProblemNaming("ref main names commit " + commit_.Hex());
}

TEST_P(FsckTest, GarbageRefFileIsReported) {
  WriteTestFile(dir_.Sub("store/refs/heads/junk"), "this is not a commit id\n");
  ExpectProblemNaming("junk");
}

// One unreadable ref file must not stop the check of the others.
TEST_P(FsckTest, GarbageRefDoesNotHideOtherRefProblems) {
  WriteTestFile(dir_.Sub("store/refs/heads/junk"), "this is not a commit id\n");
  ObjectId ghost = Must(ObjectId::FromHex(std::string(64, 'e')));
  Must(WriteRef(*store_, "os/ghost", ghost));
  ExpectProblemNaming("junk");
  ExpectProblemNaming("ref os/ghost names commit " + ghost.Hex());
}

TEST_P(FsckTest, FsckChangesNothing) {
  testing::FlipByte(VictimPath(), -1);
  std::vector<std::string> before = testing::SnapshotTree(dir_.Sub("store"));
  Check();
  EXPECT_EQ(testing::SnapshotTree(dir_.Sub("store")), before);
}

INSTANTIATE_TEST_SUITE_P(Modes, FsckTest, ::testing::Values(StoreMode::kArchive, StoreMode::kBare),
                         [](const auto& p) { return std::string(StoreModeName(p.param)); });

}  // namespace
}  // namespace larch::repo
