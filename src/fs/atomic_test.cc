#include "src/fs/atomic.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace larch::fs {
namespace {

using ::larch::testing::ReadTestFile;
using ::larch::testing::TempDir;
using ::larch::testing::WriteTestFile;

class AtomicTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_.Reset(::open(tmp_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_.valid());
  }

  std::vector<std::string> Names(int dirfd) {
    std::vector<std::string> names;
    Result<std::vector<DirEntry>> entries = fs_.ReadDir(dirfd);
    EXPECT_TRUE(entries.ok());
    if (!entries.ok()) return names;
    for (const DirEntry& e : *entries) names.push_back(e.name);
    std::sort(names.begin(), names.end());
    return names;
  }

  TempDir tmp_;
  UniqueFd root_;
  Fs& fs_ = *DefaultFs();
};

TEST_F(AtomicTest, WriteFileAtomicCreatesAndReplacesWithoutTempLeft) {
  ASSERT_TRUE(WriteFileAtomic(fs_, root_.get(), "f", AsBytes("old")).ok());
  EXPECT_EQ(ReadTestFile(tmp_.Sub("f")), "old");
  struct stat before;
  ASSERT_EQ(::stat(tmp_.Sub("f").c_str(), &before), 0);
  ASSERT_TRUE(WriteFileAtomic(fs_, root_.get(), "f", AsBytes("new content")).ok());
  EXPECT_EQ(ReadTestFile(tmp_.Sub("f")), "new content");
  struct stat after;
  ASSERT_EQ(::stat(tmp_.Sub("f").c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);  // replaced by rename, not rewritten in place
  EXPECT_EQ(Names(root_.get()), std::vector<std::string>{"f"});
}

TEST_F(AtomicTest, WriteFileAtomicAppliesExactModeDespiteUmask) {
  mode_t old = ::umask(077);
  Status s = WriteFileAtomic(fs_, root_.get(), "f", AsBytes("x"), 0644);
  ::umask(old);
  ASSERT_TRUE(s.ok()) << s.ToString();
  struct stat st;
  ASSERT_EQ(::stat(tmp_.Sub("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST_F(AtomicTest, WriteFileAtomicRelativeToCwd) {
  char cwd[PATH_MAX];
  ASSERT_NE(::getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(::chdir(tmp_.path().c_str()), 0);
  Status s = WriteFileAtomic(fs_, AT_FDCWD, "f", AsBytes("cwd"));
  ASSERT_EQ(::chdir(cwd), 0);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ReadTestFile(tmp_.Sub("f")), "cwd");
}

TEST_F(AtomicTest, WriteFileAtomicRejectsBadNames) {
  EXPECT_EQ(WriteFileAtomic(fs_, root_.get(), "a/b", AsBytes("x")).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteFileAtomic(fs_, root_.get(), "..", AsBytes("x")).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(AtomicTest, SymlinkAtomicReplacesSymlinkAndFile) {
  ASSERT_TRUE(SymlinkAtomic(fs_, root_.get(), "one", "cur").ok());
  ASSERT_TRUE(SymlinkAtomic(fs_, root_.get(), "two", "cur").ok());
  Result<std::string> t = fs_.ReadLink(root_.get(), "cur");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "two");
  WriteTestFile(tmp_.Sub("plain"), "x");
  ASSERT_TRUE(SymlinkAtomic(fs_, root_.get(), "three", "plain").ok());
  t = fs_.ReadLink(root_.get(), "plain");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "three");
  EXPECT_EQ(Names(root_.get()), (std::vector<std::string>{"cur", "plain"}));
}

TEST_F(AtomicTest, ReadFileFullyHonoursLimit) {
  WriteTestFile(tmp_.Sub("f"), std::string(100000, 'z'));
  Result<Bytes> all = ReadFileFully(fs_, root_.get(), "f");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 100000u);
  EXPECT_EQ(ReadFileFully(fs_, root_.get(), "f", 99999).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(ReadFileFully(fs_, root_.get(), "missing").status().IsNotFound());
  WriteTestFile(tmp_.Sub("empty"), "");
  Result<Bytes> empty = ReadFileFully(fs_, root_.get(), "empty");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST_F(AtomicTest, EnsureDir) {
  ASSERT_TRUE(EnsureDir(fs_, root_.get(), "d").ok());
  ASSERT_TRUE(EnsureDir(fs_, root_.get(), "d").ok());
  WriteTestFile(tmp_.Sub("f"), "x");
  EXPECT_TRUE(EnsureDir(fs_, root_.get(), "f").IsAlreadyExists());
  ASSERT_EQ(::symlink("d", tmp_.Sub("l").c_str()), 0);
  EXPECT_FALSE(EnsureDir(fs_, root_.get(), "l").ok());  // a symlink is not a directory
}

TEST_F(AtomicTest, RemoveTreeRemovesNestedTree) {
  ASSERT_EQ(::mkdir(tmp_.Sub("t").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(tmp_.Sub("t/a").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(tmp_.Sub("t/a/b").c_str(), 0755), 0);
  WriteTestFile(tmp_.Sub("t/f"), "x");
  WriteTestFile(tmp_.Sub("t/a/g"), "y");
  ASSERT_EQ(::symlink("/nonexistent", tmp_.Sub("t/a/dangling").c_str()), 0);
  ASSERT_TRUE(RemoveTree(fs_, root_.get(), "t").ok());
  EXPECT_TRUE(Names(root_.get()).empty());
  EXPECT_TRUE(RemoveTree(fs_, root_.get(), "t").ok());  // NotFound is success
  WriteTestFile(tmp_.Sub("file"), "x");
  ASSERT_TRUE(RemoveTree(fs_, root_.get(), "file").ok());
  EXPECT_TRUE(Names(root_.get()).empty());
}

TEST_F(AtomicTest, RemoveTreeDoesNotFollowSymlinks) {
  ASSERT_EQ(::mkdir(tmp_.Sub("outside").c_str(), 0755), 0);
  WriteTestFile(tmp_.Sub("outside/keep"), "precious");
  ASSERT_EQ(::mkdir(tmp_.Sub("t").c_str(), 0755), 0);
  ASSERT_EQ(::symlink(tmp_.Sub("outside").c_str(), tmp_.Sub("t/link").c_str()), 0);
  ASSERT_EQ(::symlink("../outside/keep", tmp_.Sub("t/filelink").c_str()), 0);
  ASSERT_EQ(::symlink(tmp_.Sub("outside").c_str(), tmp_.Sub("toplink").c_str()), 0);

  ASSERT_TRUE(RemoveTree(fs_, root_.get(), "t").ok());
  ASSERT_TRUE(RemoveTree(fs_, root_.get(), "toplink").ok());
  EXPECT_EQ(Names(root_.get()), std::vector<std::string>{"outside"});
  EXPECT_EQ(ReadTestFile(tmp_.Sub("outside/keep")), "precious");
}

TEST(TempNameTest, PrefixAndSixteenHexDigits) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string n = TempName("ref.tmp-");
    ASSERT_EQ(n.size(), 8u + 16u);
    EXPECT_EQ(n.rfind("ref.tmp-", 0), 0u);
    EXPECT_TRUE(std::all_of(n.begin() + 8, n.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    })) << n;
    seen.insert(n);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(IsValidComponentTest, Cases) {
  EXPECT_TRUE(IsValidComponent("a"));
  EXPECT_TRUE(IsValidComponent(".hidden"));
  EXPECT_TRUE(IsValidComponent("..."));
  EXPECT_FALSE(IsValidComponent(""));
  EXPECT_FALSE(IsValidComponent("."));
  EXPECT_FALSE(IsValidComponent(".."));
  EXPECT_FALSE(IsValidComponent("a/b"));
  EXPECT_FALSE(IsValidComponent("/"));
  EXPECT_FALSE(IsValidComponent(std::string("a\0b", 3)));
}

}  // namespace
}  // namespace larch::fs
