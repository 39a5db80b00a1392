// Commit real directory trees into archive and bare stores, check them out
// again and compare entry by entry: content, full mode, owner, symlink
// targets, xattrs and the hard-link structure. Also: what a second commit
// stores, special files, where a checkout may write, diff and prune.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "repo/checkout.h"
#include "repo/commit_builder.h"
#include "repo/diff.h"
#include "repo/fsck.h"
#include "repo/prune.h"
#include "repo/refs.h"
#include "repo/repo_test_util.h"
#include "src/base/hex.h"
#include "src/crypto/sha256.h"

namespace larch::repo {
namespace {

using testing::CommitTo;
using testing::FailsWith;
using testing::FileKeyAt;
using testing::Must;
using testing::NewStore;
using testing::ReadTestFile;
using testing::TempDir;
using testing::TestCommitOptions;
using testing::WriteTestFile;
namespace stdfs = std::filesystem;

constexpr size_t kMiB = 1u << 20;

// ------------------------------------------------------------------ trees

// Incompressible, reproducible bytes.
std::string PseudoRandom(size_t n, uint64_t seed) {
  std::string out(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return out;
}

void MakeDir(const std::string& path, mode_t mode) {
  stdfs::create_directories(path);
  ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path;  // exact: no umask
}

void MakeSymlink(const std::string& target, const std::string& path) {
  ASSERT_EQ(::symlink(target.c_str(), path.c_str()), 0) << path;
}

void MakeHardLink(const std::string& existing, const std::string& path) {
  ASSERT_EQ(::link(existing.c_str(), path.c_str()), 0) << path;
}

void Chown(const std::string& path, uid_t uid, gid_t gid) {
  ASSERT_EQ(::lchown(path.c_str(), uid, gid), 0) << path;
}

// A few files, a symlink and two directories.
void BuildSmallTree(const std::string& root) {
  MakeDir(root + "/etc", 0755);
  MakeDir(root + "/bin", 0755);
  WriteTestFile(root + "/etc/motd", "hello larch\n");
  WriteTestFile(root + "/etc/os-release", "NAME=test\n");
  WriteTestFile(root + "/bin/tool", "#!/bin/sh\necho tool\n", 0755);
  MakeSymlink("etc/motd", root + "/link");
}

// Every kind of entry and metadata a root filesystem has.
void BuildRichTree(const std::string& root) {
  MakeDir(root, 0755);
  // Sizes around the 1 MiB in-memory limit of the commit builder, and empty.
  WriteTestFile(root + "/big.bin", PseudoRandom(3 * kMiB + 17, 1));
  WriteTestFile(root + "/exactly-1mib.bin", PseudoRandom(kMiB, 2));
  WriteTestFile(root + "/empty", "");
  WriteTestFile(root + "/small.txt", "hello\n");
  WriteTestFile(root + "/mode-0000", "locked\n", 0);
  MakeDir(root + "/bin", 0755);
  WriteTestFile(root + "/bin/tool", "#!/bin/sh\necho tool\n", 0755);
  WriteTestFile(root + "/bin/suid", "#!/bin/sh\necho suid\n", 04755);
  WriteTestFile(root + "/bin/sgid", "#!/bin/sh\necho sgid\n", 02711);
  // Symlinks: relative, dangling, absolute.
  MakeSymlink("small.txt", root + "/rel-link");
  MakeSymlink("does/not/exist", root + "/dangling");
  MakeSymlink("/etc/passwd", root + "/absolute-link");
  // Directories: empty, nested, with special bits, with an xattr.
  MakeDir(root + "/empty-dir", 0755);
  MakeDir(root + "/nested/a/b/c/empty", 0755);
  WriteTestFile(root + "/nested/a/b/c/deep.txt", "deep\n");
  MakeDir(root + "/sticky-dir", 01777);
  MakeDir(root + "/setgid-dir", 02775);
  MakeDir(root + "/private-dir", 0700);
  MakeDir(root + "/xattr-dir", 0755);
  testing::SetXattr(root + "/xattr-dir", "user.dir", "\x01\xff");
  WriteTestFile(root + "/xattr-file", "with an xattr\n");
  testing::SetXattr(root + "/xattr-file", "user.test", std::string("hello\0world", 11));
  // Other owners: numeric ids no name maps to.
  MakeDir(root + "/owned-dir", 0750);
  WriteTestFile(root + "/owned-dir/owned", "owned\n", 0640);
  MakeSymlink("../small.txt", root + "/owned-dir/link");
  Chown(root + "/owned-dir/owned", 1234, 5678);
  Chown(root + "/owned-dir/link", 1234, 5678);
  Chown(root + "/owned-dir", 1234, 5678);
  // Hard links (also across directories) and a separate identical file:
  // one object in the store, but not one inode in the tree.
  MakeDir(root + "/links", 0755);
  WriteTestFile(root + "/links/a", "linked content\n");
  MakeHardLink(root + "/links/a", root + "/links/b");
  MakeHardLink(root + "/links/a", root + "/nested/also-a");
  WriteTestFile(root + "/links/separate", "linked content\n");
}

// ------------------------------------------------------------ comparing trees

std::string Hex(std::string_view data) { return HexEncode(crypto::Sha256::Hash(AsBytes(data))); }

// One line per path below `root` (the root itself as "."): type and mode,
// owner, content hash or symlink target, xattrs. Timestamps are left out.
std::map<std::string, std::string> Describe(const std::string& root) {
  std::map<std::string, std::string> out;
  auto describe = [&](const stdfs::path& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) throw std::runtime_error("lstat " + path.string());
    std::string d = "mode=" + std::to_string(st.st_mode) + " owner=" + std::to_string(st.st_uid) +
                    ":" + std::to_string(st.st_gid);
    if (S_ISREG(st.st_mode)) d += " sha256=" + Hex(ReadTestFile(path));
    if (S_ISLNK(st.st_mode)) d += " target=" + stdfs::read_symlink(path).string();
    for (const fs::Xattr& x : testing::ReadXattrs(path)) d += " " + x.name + "=" + HexEncode(x.value);
    std::string rel = path == root ? "." : path.lexically_relative(root).string();
    out[rel] = d;
  };
  describe(root);
  for (const auto& e : stdfs::recursive_directory_iterator(root)) describe(e.path());
  return out;
}

void ExpectSameTree(const std::string& want, const std::string& got) {
  std::map<std::string, std::string> a = Describe(want);
  std::map<std::string, std::string> b = Describe(got);
  for (const auto& [path, desc] : a) {
    auto it = b.find(path);
    if (it == b.end()) {
      ADD_FAILURE() << "missing from " << got << ": " << path;
    } else {
      EXPECT_EQ(desc, it->second) << path;
    }
  }
  for (const auto& [path, desc] : b) EXPECT_TRUE(a.contains(path)) << "extra in " << got << ": " << path;
}

using LinkGroups = std::set<std::set<std::string>>;

// The partition of non-directory paths into inodes.
LinkGroups InodeGroups(const std::string& root) {
  std::map<std::pair<dev_t, ino_t>, std::set<std::string>> by_inode;
  for (const auto& e : stdfs::recursive_directory_iterator(root)) {
    struct stat st;
    if (::lstat(e.path().c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
    by_inode[{st.st_dev, st.st_ino}].insert(e.path().lexically_relative(root).string());
  }
  LinkGroups groups;
  for (auto& [inode, paths] : by_inode) groups.insert(paths);
  return groups;
}

ino_t Inode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

nlink_t LinkCount(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_nlink;
}

CheckoutOptions Options(CheckoutMode mode) {
  CheckoutOptions options;
  options.mode = mode;
  options.sync = false;  // throwaway checkouts
  return options;
}

// ------------------------------------------------------------ round trips

class RoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: the tree has files of other owners";
    BuildRichTree(src_);
  }

  // Commits the rich tree into a new store and checks it out.
  std::string CommitAndCheckOut(StoreMode store_mode, CheckoutMode mode) {
    store_ = NewStore(dir_.Sub("store"), store_mode);
    ObjectId commit = CommitTo(*store_, src_, "main").commit;
    std::string target = dir_.Sub("checkout");
    stats_ = Must(CheckoutCommit(*store_, commit, target, Options(mode)));
    return target;
  }

  TempDir dir_;
  std::string src_ = dir_.Sub("src");
  std::unique_ptr<Store> store_;
  CheckoutStats stats_;
};

TEST_F(RoundTripTest, TheRichTreeHasWhatItShould) {
  // Guards the other tests: they prove nothing if the fixture lost a case.
  EXPECT_EQ(testing::FileSize(src_ + "/big.bin"), static_cast<off_t>(3 * kMiB + 17));
  EXPECT_EQ(LinkCount(src_ + "/links/a"), 3u);
  EXPECT_NE(Inode(src_ + "/links/a"), Inode(src_ + "/links/separate"));
  EXPECT_EQ(testing::ReadXattrs(src_ + "/xattr-dir").size(), 1u);
  EXPECT_EQ(testing::ReadXattrs(src_ + "/xattr-file").size(), 1u);
  std::map<std::string, std::string> entries = Describe(src_);
  EXPECT_EQ(entries.size(), 33u);
  EXPECT_NE(entries.at("bin/suid").find("mode=" + std::to_string(S_IFREG | 04755)), std::string::npos);
  EXPECT_NE(entries.at("owned-dir/link").find("owner=1234:5678"), std::string::npos);
  EXPECT_NE(entries.at("absolute-link").find("target=/etc/passwd"), std::string::npos);
  EXPECT_NE(entries.at("xattr-file").find("user.test=68656c6c6f00776f726c64"), std::string::npos);
}

TEST_F(RoundTripTest, ArchiveCopyCheckoutReproducesTreeAndLinksExactly) {
  std::string out = CommitAndCheckOut(StoreMode::kArchive, CheckoutMode::kCopy);
  ExpectSameTree(src_, out);
  // links/b and nested/also-a are links to links/a; links/separate is not.
  EXPECT_EQ(InodeGroups(out), InodeGroups(src_));
  EXPECT_EQ(stats_.hardlinks, 2u);
}

TEST_F(RoundTripTest, BareCopyCheckoutReproducesTreeAndLinksExactly) {
  std::string out = CommitAndCheckOut(StoreMode::kBare, CheckoutMode::kCopy);
  ExpectSameTree(src_, out);
  EXPECT_EQ(InodeGroups(out), InodeGroups(src_));
  EXPECT_EQ(LinkCount(out + "/big.bin"), 1u);  // a copy, not a link into the store
}

TEST_F(RoundTripTest, BareHardlinkCheckoutLinksEverySameContentPath) {
  std::string out = CommitAndCheckOut(StoreMode::kBare, CheckoutMode::kHardlink);
  ExpectSameTree(src_, out);
  for (const std::set<std::string>& group : InodeGroups(src_)) {
    for (const std::string& path : group)
      EXPECT_EQ(Inode(out + "/" + path), Inode(out + "/" + *group.begin())) << path;
  }
  // Same content object, so one inode, though separate in the source.
  EXPECT_EQ(Inode(out + "/links/separate"), Inode(out + "/links/a"));
  EXPECT_GE(LinkCount(out + "/big.bin"), 2u);  // linked into the store
}

TEST_F(RoundTripTest, ArchiveStoreRefusesHardlinkCheckout) {
  store_ = NewStore(dir_.Sub("store"), StoreMode::kArchive);
  ObjectId commit = CommitTo(*store_, src_, "main").commit;
  EXPECT_TRUE(FailsWith(CheckoutCommit(*store_, commit, dir_.Sub("out"), Options(CheckoutMode::kHardlink)),
                        StatusCode::kInvalidArgument, "bare store"));
  EXPECT_FALSE(stdfs::exists(dir_.Sub("out")));
}

TEST_F(RoundTripTest, SecondCommitStoresOnlyNewObjectsAndRecordsParent) {
  store_ = NewStore(dir_.Sub("store"), StoreMode::kArchive);
  CommitStats first = CommitTo(*store_, src_, "main");
  EXPECT_FALSE(first.parent.has_value());
  EXPECT_EQ(Must(store_->ListObjects()).size(), first.new_objects);
  WriteTestFile(src_ + "/small.txt", "hello again\n");
  CommitStats second = CommitTo(*store_, src_, "main");
  EXPECT_EQ(second.parent, first.commit);
  EXPECT_EQ(Must(store_->ReadCommit(second.commit)).parent, first.commit);
  // The new small.txt, the root dirtree listing it, the verity list with
  // its digest, and the commit.
  EXPECT_EQ(second.new_objects, 4u);
  EXPECT_EQ(Must(store_->ListObjects()).size(), first.new_objects + 4);
  EXPECT_EQ(Must(ReadRef(*store_, "main")), second.commit);
}

TEST_F(RoundTripTest, RecommittingAnUnchangedTreeStoresOnlyTheCommit) {
  store_ = NewStore(dir_.Sub("store"), StoreMode::kBare);
  CommitStats first = CommitTo(*store_, src_, "main");
  CommitStats again = CommitTo(*store_, src_, "main");
  EXPECT_EQ(again.new_objects, 1u);
  EXPECT_EQ(again.parent, first.commit);
  EXPECT_EQ(Must(store_->ReadCommit(again.commit)).root_tree,
            Must(store_->ReadCommit(first.commit)).root_tree);
}

// ------------------------------------------------------------ special files

class SpecialFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BuildSmallTree(src_);
    ASSERT_EQ(::mkfifo((src_ + "/bin/pipe").c_str(), 0644), 0);
  }

  TempDir dir_;
  std::string src_ = dir_.Sub("src");
  std::unique_ptr<Store> store_ = NewStore(dir_.Sub("store"), StoreMode::kArchive);
};

TEST_F(SpecialFileTest, FifoIsRefusedNamingItsPath) {
  Result<CommitStats> r = CommitTree(*store_, src_, TestCommitOptions("main"));
  EXPECT_TRUE(FailsWith(r, StatusCode::kUnsupported, "/bin/pipe"));
  EXPECT_TRUE(FailsWith(r, StatusCode::kUnsupported, "FIFO"));
  EXPECT_FALSE(Must(ReadRef(*store_, "main")).has_value());
  EXPECT_TRUE(Must(store_->ListObjects()).empty());
}

TEST_F(SpecialFileTest, SkipSpecialLeavesFifoOutAndListsIt) {
  CommitOptions options = TestCommitOptions("main");
  options.skip_special = true;
  CommitStats stats = Must(CommitTree(*store_, src_, options));
  EXPECT_EQ(stats.skipped, std::vector<std::string>{"/bin/pipe"});
  std::string out = dir_.Sub("out");
  Must(CheckoutCommit(*store_, stats.commit, out, Options(CheckoutMode::kCopy)));
  EXPECT_FALSE(stdfs::exists(stdfs::symlink_status(out + "/bin/pipe")));
  stdfs::remove(src_ + "/bin/pipe");
  ExpectSameTree(src_, out);
}

// ------------------------------------------------------------ checkout targets

class CheckoutTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BuildSmallTree(src_);
    commit_ = CommitTo(*store_, src_, "main").commit;
    MakeDir(parent_, 0755);
  }

  Result<CheckoutStats> CheckOut(const std::string& target) {
    return CheckoutCommit(*store_, commit_, target, Options(CheckoutMode::kCopy));
  }

  TempDir dir_;
  std::string src_ = dir_.Sub("src");
  std::string parent_ = dir_.Sub("parent");
  std::unique_ptr<Store> store_ = NewStore(dir_.Sub("store"), StoreMode::kArchive);
  ObjectId commit_;
};

TEST_F(CheckoutTargetTest, NewDirectoryIsCreated) {
  Must(CheckOut(parent_ + "/target"));
  ExpectSameTree(src_, parent_ + "/target");
  EXPECT_EQ(testing::ListNames(parent_), std::vector<std::string>{"target"});
}

TEST_F(CheckoutTargetTest, ExistingEmptyDirectoryIsReplaced) {
  MakeDir(parent_ + "/target", 0700);
  Must(CheckOut(parent_ + "/target"));
  ExpectSameTree(src_, parent_ + "/target");
  EXPECT_EQ(testing::ListNames(parent_), std::vector<std::string>{"target"});
}

TEST_F(CheckoutTargetTest, NonEmptyDirectoryIsRefused) {
  MakeDir(parent_ + "/target", 0755);
  WriteTestFile(parent_ + "/target/keep", "precious\n");
  std::vector<std::string> before = testing::SnapshotTree(parent_);
  EXPECT_TRUE(FailsWith(CheckOut(parent_ + "/target"), StatusCode::kAlreadyExists, "not empty"));
  EXPECT_EQ(testing::SnapshotTree(parent_), before);
  EXPECT_EQ(ReadTestFile(parent_ + "/target/keep"), "precious\n");
}

TEST_F(CheckoutTargetTest, ExistingFileIsRefused) {
  WriteTestFile(parent_ + "/target", "a file\n");
  std::vector<std::string> before = testing::SnapshotTree(parent_);
  EXPECT_TRUE(FailsWith(CheckOut(parent_ + "/target"), StatusCode::kAlreadyExists, "not a directory"));
  EXPECT_EQ(testing::SnapshotTree(parent_), before);
}

// An empty directory would be acceptable, but not through a symlink: the
// checkout must not write (or rename) anything there.
TEST_F(CheckoutTargetTest, SymlinkToAnotherDirectoryIsRefused) {
  const std::string elsewhere = dir_.Sub("elsewhere");
  MakeDir(elsewhere, 0755);
  MakeSymlink(elsewhere, parent_ + "/target");
  std::vector<std::string> before = testing::SnapshotTree(parent_);
  for (const std::string& target : {parent_ + "/target", parent_ + "/target/"}) {
    EXPECT_TRUE(FailsWith(CheckOut(target), StatusCode::kAlreadyExists, "symlink")) << target;
  }
  EXPECT_TRUE(testing::ListNames(elsewhere).empty());
  EXPECT_EQ(testing::SnapshotTree(parent_), before);
  EXPECT_TRUE(stdfs::is_symlink(parent_ + "/target"));
}

TEST_F(CheckoutTargetTest, FailedCheckoutLeavesNoTempDirBehind) {
  // The last file checked out is missing: everything before it was written.
  Must(store_->DeleteObject(FileKeyAt(*store_, commit_, "/etc/os-release")));
  EXPECT_FALSE(CheckOut(parent_ + "/target").ok());
  EXPECT_TRUE(testing::ListNames(parent_).empty());
}

// An object the commit names and the store lacks is corruption (exit 4),
// not "not found" (exit 3), in either mode, with the object's file named.
TEST_F(CheckoutTargetTest, MissingObjectIsCorruptionNamingItsFile) {
  ObjectKey key = FileKeyAt(*store_, commit_, "/etc/motd");
  Must(store_->DeleteObject(key));
  EXPECT_TRUE(FailsWith(CheckOut(parent_ + "/target"), StatusCode::kCorruption,
                        "missing object " + testing::ObjectPath(*store_, key)));
  std::unique_ptr<Store> bare = NewStore(dir_.Sub("bare"), StoreMode::kBare);
  ObjectId id = CommitTo(*bare, src_, "main").commit;
  ObjectKey bare_key = FileKeyAt(*bare, id, "/etc/motd");
  Must(bare->DeleteObject(bare_key));
  EXPECT_TRUE(FailsWith(CheckoutCommit(*bare, id, parent_ + "/linked", Options(CheckoutMode::kHardlink)),
                        StatusCode::kCorruption, "missing object " + testing::ObjectPath(*bare, bare_key)));
  EXPECT_TRUE(testing::ListNames(parent_).empty());
}

TEST_F(CheckoutTargetTest, CorruptObjectFailsCheckoutNamingIt) {
  ObjectKey key = FileKeyAt(*store_, commit_, "/etc/motd");
  // Last byte: content of the (raw) zstd block, so the frame still decodes.
  testing::FlipByte(testing::ObjectPath(*store_, key), -1);
  EXPECT_TRUE(FailsWith(CheckOut(parent_ + "/target"), StatusCode::kCorruption,
                        Store::ObjectRelPath(key)));
  EXPECT_TRUE(testing::ListNames(parent_).empty());
}

// ------------------------------------------------------------ diff

std::vector<std::string> DiffLines(const Store& store, const ObjectId& from, const ObjectId& to) {
  std::vector<std::string> lines;
  for (const DiffEntry& e : Must(DiffCommits(store, from, to)))
    lines.push_back(std::string(DiffKindName(e.kind)) + " " + e.path + (e.is_dir ? "/" : ""));
  std::sort(lines.begin(), lines.end());
  return lines;
}

TEST(DiffCommitsTest, ReportsAddedRemovedModifiedAndTypeChanges) {
  TempDir dir;
  std::unique_ptr<Store> store = NewStore(dir.Sub("store"), StoreMode::kArchive);
  const std::string t = dir.Sub("tree");
  for (const char* d : {"", "/dir-gone", "/sub", "/meta-dir"}) MakeDir(t + d, 0755);
  for (const char* f : {"/same", "/mod", "/gone", "/becomes-dir", "/dir-gone/x", "/sub/inner"})
    WriteTestFile(t + f, std::string("v1 of ") + f);
  ObjectId v1 = CommitTo(*store, t, "main").commit;

  WriteTestFile(t + "/mod", "v2");
  WriteTestFile(t + "/sub/inner", "v2");
  WriteTestFile(t + "/new", "new");
  stdfs::remove(t + "/gone");
  stdfs::remove(t + "/becomes-dir");
  MakeDir(t + "/becomes-dir", 0755);
  WriteTestFile(t + "/becomes-dir/inner", "inner");
  stdfs::remove_all(t + "/dir-gone");
  MakeDir(t + "/dir-new", 0755);
  WriteTestFile(t + "/dir-new/y", "y");
  ASSERT_EQ(::chmod((t + "/meta-dir").c_str(), 0700), 0);
  ObjectId v2 = CommitTo(*store, t, "main").commit;

  EXPECT_EQ(DiffLines(*store, v1, v2), (std::vector<std::string>{
                                           "added /becomes-dir/",
                                           "added /becomes-dir/inner",
                                           "added /dir-new/",
                                           "added /dir-new/y",
                                           "added /new",
                                           "modified /meta-dir/",
                                           "modified /mod",
                                           "modified /sub/inner",
                                           "removed /becomes-dir",
                                           "removed /dir-gone/",
                                           "removed /dir-gone/x",
                                           "removed /gone",
                                       }));
  EXPECT_TRUE(DiffLines(*store, v2, v2).empty());
  // Backwards, a directory that became a file.
  std::vector<std::string> backwards = DiffLines(*store, v2, v1);
  EXPECT_NE(std::find(backwards.begin(), backwards.end(), "added /becomes-dir"), backwards.end());
  EXPECT_NE(std::find(backwards.begin(), backwards.end(), "removed /becomes-dir/"), backwards.end());
}

// ------------------------------------------------------------ prune

class PruneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BuildSmallTree(src_);
    first_ = CommitTo(*store_, src_, "main").commit;
    WriteTestFile(src_ + "/etc/motd", "hello again\n");
    second_ = CommitTo(*store_, src_, "main").commit;
  }

  bool Has(const ObjectKey& key) { return Must(store_->HasObject(key)); }

  void ExpectFsckClean() {
    FsckReport report = Must(Fsck(*store_, FsckOptions{}));
    EXPECT_TRUE(report.ok()) << report.problems.front();
  }

  TempDir dir_;
  std::string src_ = dir_.Sub("src");
  std::unique_ptr<Store> store_ = NewStore(dir_.Sub("store"), StoreMode::kArchive);
  ObjectId first_;
  ObjectId second_;
};

// Only first_ needs: its commit, root dirtree, etc/ dirtree, old motd and
// its verity list.
constexpr uint64_t kOnlyInFirst = 5;

TEST_F(PruneTest, WithoutHistoryDeletesTheOldCommitsObjects) {
  ObjectKey old_motd = FileKeyAt(*store_, first_, "/etc/motd");
  size_t total = Must(store_->ListObjects()).size();
  PruneStats stats = Must(Prune(*store_, PruneOptions{.dry_run = false, .keep_history = false}));
  EXPECT_EQ(stats.objects_total, total);
  EXPECT_EQ(stats.objects_deleted, kOnlyInFirst);
  EXPECT_GT(stats.bytes_freed, 0u);
  EXPECT_FALSE(Has({first_, ObjectType::kCommit}));
  EXPECT_FALSE(Has(old_motd));
  EXPECT_TRUE(Has({second_, ObjectType::kCommit}));
  EXPECT_TRUE(Has(FileKeyAt(*store_, second_, "/etc/motd")));
  EXPECT_EQ(Must(store_->ListObjects()).size(), total - kOnlyInFirst);
  ExpectFsckClean();
  Must(CheckoutCommit(*store_, second_, dir_.Sub("out"), Options(CheckoutMode::kCopy)));
  ExpectSameTree(src_, dir_.Sub("out"));
}

TEST_F(PruneTest, WithHistoryKeepsAncestors) {
  size_t total = Must(store_->ListObjects()).size();
  PruneStats stats = Must(Prune(*store_, PruneOptions{}));
  EXPECT_EQ(stats.objects_deleted, 0u);
  EXPECT_TRUE(Has({first_, ObjectType::kCommit}));
  EXPECT_TRUE(Has(FileKeyAt(*store_, first_, "/etc/motd")));
  EXPECT_EQ(Must(store_->ListObjects()).size(), total);
  ExpectFsckClean();
}

TEST_F(PruneTest, DryRunCountsButDeletesNothing) {
  size_t total = Must(store_->ListObjects()).size();
  PruneStats stats = Must(Prune(*store_, PruneOptions{.dry_run = true, .keep_history = false}));
  EXPECT_EQ(stats.objects_deleted, kOnlyInFirst);
  EXPECT_EQ(Must(store_->ListObjects()).size(), total);
  EXPECT_TRUE(Has({first_, ObjectType::kCommit}));
}

TEST_F(PruneTest, DeletingTheOnlyRefMakesEverythingUnreachable) {
  Must(DeleteRef(*store_, "main"));
  PruneStats stats = Must(Prune(*store_, PruneOptions{}));
  EXPECT_EQ(stats.objects_deleted, stats.objects_total);
  EXPECT_TRUE(Must(store_->ListObjects()).empty());
  ExpectFsckClean();
}

}  // namespace
}  // namespace larch::repo
