// File: repo/commit_verity_test.cc
// The verity list a commit binds (docs/verity.md): one entry per distinct
// regular file with the fs-verity digest of its content, named by the
// commit's metadata; left out on request; never taken from the caller; kept
// by prune with its commit and checked by fsck.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "repo/commit_builder.h"
#include "repo/fsck.h"
#include "repo/objects/verity_list.h"
#include "repo/prune.h"
#include "repo/repo_test_util.h"
#include "src/crypto/fsverity_digest.h"

namespace larch::repo {
namespace {

using testing::FailsWith;
using testing::FileKeyAt;
using testing::Must;
using testing::NewStore;
using testing::ObjectPath;
using testing::TempDir;
using testing::TestCommitOptions;
using testing::WriteTestFile;
namespace stdfs = std::filesystem;

crypto::FsVerityDigest DigestOf(const std::string& content) {
  return Must(crypto::ComputeFsVerityDigest(AsBytes(content)));
}

class CommitVerityTest : public ::testing::TestWithParam<StoreMode> {
 protected:
  void SetUp() override {
    stdfs::create_directories(src_ + "/usr/bin");
    stdfs::create_directories(src_ + "/etc");
    WriteTestFile(src_ + "/usr/bin/tool", tool_);
    WriteTestFile(src_ + "/usr/bin/big", big_);  // above the in-memory limit: read twice
    WriteTestFile(src_ + "/etc/empty", "");
    WriteTestFile(src_ + "/etc/copy", tool_);  // same content: one object, one entry
    ASSERT_EQ(::link((src_ + "/usr/bin/tool").c_str(), (src_ + "/usr/bin/tool-link").c_str()), 0);
    ASSERT_EQ(::symlink("tool", (src_ + "/usr/bin/alias").c_str()), 0);
    store_ = NewStore(dir_.Sub("store"), GetParam());
  }

  CommitStats Commit(CommitOptions options = TestCommitOptions("main")) {
    return Must(CommitTree(*store_, src_, options));
  }

  TempDir dir_;
  std::string src_ = dir_.Sub("src");
  std::string tool_ = "#!/bin/sh\necho tool\n";
  std::string big_ = std::string(3u << 20, 'b') + "end";
  std::unique_ptr<Store> store_;
};

TEST_P(CommitVerityTest, TheCommitNamesTheDigestOfEveryDistinctRegularFile) {
  CommitStats stats = Commit();
  ASSERT_TRUE(stats.verity_list.has_value());
  repo::Commit commit = Must(store_->ReadCommit(stats.commit));
  EXPECT_EQ(commit.metadata.at("verity-list"), stats.verity_list->Hex());
  VerityList list = Must(store_->ReadVerityList(*stats.verity_list));
  // tool (= tool-link = copy), big, empty; the symlink has none.
  ASSERT_EQ(list.entries.size(), 3u);
  for (const auto& [path, content] : {std::pair<std::string, std::string>{"/usr/bin/tool", tool_},
                                      {"/etc/copy", tool_}, {"/usr/bin/big", big_}, {"/etc/empty", ""}}) {
    const VerityEntry* e = list.Find(FileKeyAt(*store_, stats.commit, path).id);
    ASSERT_NE(e, nullptr) << path;
    EXPECT_EQ(e->digest, DigestOf(content)) << path;
  }
  EXPECT_EQ(list.Find(FileKeyAt(*store_, stats.commit, "/usr/bin/alias").id), nullptr);
  FsckReport report = Must(Fsck(*store_, FsckOptions{}));
  EXPECT_TRUE(report.ok()) << report.problems.front();
}

TEST_P(CommitVerityTest, NoVerityListOnRequest) {
  CommitOptions options = TestCommitOptions("main");
  options.verity_list = false;
  CommitStats stats = Commit(options);
  EXPECT_FALSE(stats.verity_list.has_value());
  EXPECT_FALSE(Must(store_->ReadCommit(stats.commit)).metadata.contains("verity-list"));
  EXPECT_FALSE(Must(VerityListOf(Must(store_->ReadCommit(stats.commit)))).has_value());
}

TEST_P(CommitVerityTest, TheCallerCannotNameAList) {
  CommitOptions options = TestCommitOptions("main");
  options.metadata["verity-list"] = std::string(64, 'a');
  EXPECT_TRUE(FailsWith(CommitTree(*store_, src_, options).status(), StatusCode::kInvalidArgument,
                        "commit metadata verity-list is written by the commit itself"));
  EXPECT_TRUE(Must(store_->ListObjects()).empty());
}

TEST_P(CommitVerityTest, FsckNamesAMissingOrCorruptList) {
  CommitStats stats = Commit();
  const std::string path = ObjectPath(*store_, {*stats.verity_list, ObjectType::kVerityList});
  ASSERT_EQ(::unlink(path.c_str()), 0);
  FsckReport report = Must(Fsck(*store_, FsckOptions{}));
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.problems.front().find("veritylist " + Store::ObjectRelPath({*stats.verity_list, ObjectType::kVerityList}) +
                                         " for (verity list) is missing or corrupt"),
            std::string::npos)
      << report.problems.front();
  WriteTestFile(path, "not a list");
  report = Must(Fsck(*store_, FsckOptions{}));
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.problems.front().find("does not match its checksum"), std::string::npos) << report.problems.front();
}

TEST_P(CommitVerityTest, PruneKeepsTheListOfAKeptCommitAndDropsAnOldOne) {
  CommitStats first = Commit();
  WriteTestFile(src_ + "/usr/bin/tool", tool_ + "v2\n");
  CommitStats second = Commit();
  ASSERT_NE(*first.verity_list, *second.verity_list);
  Must(Prune(*store_, PruneOptions{.dry_run = false, .keep_history = false}));
  EXPECT_FALSE(Must(store_->HasObject({*first.verity_list, ObjectType::kVerityList})));
  EXPECT_TRUE(Must(store_->HasObject({*second.verity_list, ObjectType::kVerityList})));
  FsckReport report = Must(Fsck(*store_, FsckOptions{}));
  EXPECT_TRUE(report.ok()) << report.problems.front();
}

INSTANTIATE_TEST_SUITE_P(Modes, CommitVerityTest, ::testing::Values(StoreMode::kArchive, StoreMode::kBare));

}  // namespace
}  // namespace larch::repo
