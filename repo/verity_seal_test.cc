// File: repo/verity_seal_test.cc
// Sealing file objects with fs-verity as they enter a bare store, checking
// them before a deployment links them, and fsck's use of seals
// (docs/verity.md).
//
// This host's kernel has no fs-verity, so two filesystems are used: the
// real one, where every path must take the "cannot seal" branch cleanly,
// and SealingFs, which seals the way the kernel does as far as these
// callers can tell (the digest libfsverity computes from the file's bytes
// at the moment of sealing, reported by FS_IOC_MEASURE_VERITY's stand-in).
// The kernel's own sealing is exercised under qemu
// (tests/integration/test-verity-qemu.sh).
#include "repo/verity_seal.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>

#include <gtest/gtest.h>

#include "repo/commit_builder.h"
#include "repo/file_object.h"
#include "repo/fsck.h"
#include "repo/repo_test_util.h"
#include "repo/transaction.h"
#include "src/fs/fs_wrapper.h"

namespace larch::repo {
namespace {

using testing::FailsWith;
using testing::FileKeyAt;
using testing::Must;
using testing::ObjectPath;
using testing::TempDir;
using testing::TestCommitOptions;
using testing::WriteTestFile;
namespace stdfs = std::filesystem;

// Seals by inode: the digest of the content when EnableVerity ran.
class SealingFs : public fs::FsWrapper {
 public:
  SealingFs() : FsWrapper(fs::DefaultFs()) {}

  Status EnableVerity(int fd) override {
    LARCH_ASSIGN_OR_RETURN(struct stat st, FStat(fd));
    uint64_t offset = 0;
    LARCH_ASSIGN_OR_RETURN(crypto::FsVerityDigest digest,
                           crypto::ComputeFsVerityDigest(st.st_size, [&](MutableByteSpan out) -> Result<size_t> {
                             LARCH_ASSIGN_OR_RETURN(size_t n, ReadAt(fd, out, offset));
                             offset += n;
                             return n;
                           }));
    std::lock_guard<std::mutex> lock(mu_);
    seals_.emplace(Inode(st), digest);  // sealed already: unchanged, as the kernel's EEXIST
    ++enabled_;
    return Status::Ok();
  }
  Result<std::optional<fs::VerityDigest>> MeasureVerity(int fd) override {
    LARCH_ASSIGN_OR_RETURN(struct stat st, FStat(fd));
    std::lock_guard<std::mutex> lock(mu_);
    auto it = seals_.find(Inode(st));
    if (it == seals_.end()) return std::optional<fs::VerityDigest>();
    return std::optional<fs::VerityDigest>(it->second);
  }

  // What "a file replaced by a sealed file with other content" looks like
  // to a measure: the seal of `path` carries `digest`.
  void Reseal(const std::string& path, const fs::VerityDigest& digest) {
    struct stat st;
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    std::lock_guard<std::mutex> lock(mu_);
    seals_[Inode(st)] = digest;
  }
  bool Sealed(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return false;
    std::lock_guard<std::mutex> lock(mu_);
    return seals_.contains(Inode(st));
  }
  size_t enabled() const { return enabled_; }

 private:
  static std::pair<dev_t, ino_t> Inode(const struct stat& st) { return {st.st_dev, st.st_ino}; }
  std::mutex mu_;
  std::map<std::pair<dev_t, ino_t>, fs::VerityDigest> seals_;
  size_t enabled_ = 0;
};

class VeritySealTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stdfs::create_directories(src_ + "/usr/bin");
    WriteTestFile(src_ + "/usr/bin/tool", "#!/bin/sh\necho tool\n");
    WriteTestFile(src_ + "/usr/bin/big", std::string(300000, 'b'));
    WriteTestFile(src_ + "/usr/bin/empty", "");
    ASSERT_EQ(::symlink("tool", (src_ + "/usr/bin/alias").c_str()), 0);
  }

  std::unique_ptr<Store> Open(fs::Fs& fs, VerityMode mode) {
    const std::string path = dir_.Sub("store-" + std::to_string(stores_++));
    Must(Store::Create(fs, path, StoreConfig{StoreMode::kBare, 3, 0, mode}));
    return Must(Store::Open(fs, path));
  }

  TempDir dir_;
  std::string src_ = dir_.Sub("src");
  int stores_ = 0;
};

// Where the filesystem cannot seal, `opportunistic` stores everything
// unsealed and fsck reads every object.
TEST_F(VeritySealTest, OpportunisticGoesOnUnsealedWhereTheFilesystemCannotSeal) {
  std::unique_ptr<Store> store = Open(*fs::DefaultFs(), VerityMode::kOpportunistic);
  EXPECT_FALSE(Must(StoreCanSeal(*store)));
  CommitStats stats = Must(CommitTree(*store, src_, TestCommitOptions("main")));
  Must(CheckCommitFiles(*store, stats.commit));
  FsckReport report = Must(Fsck(*store, FsckOptions{}));
  EXPECT_TRUE(report.ok()) << report.problems.front();
  EXPECT_EQ(report.sealed, 0u);
}

// `required` refuses the transaction, says how to turn sealing on, and
// publishes nothing.
TEST_F(VeritySealTest, RequiredRefusesWhatItCannotSealAndPublishesNothing) {
  std::unique_ptr<Store> store = Open(*fs::DefaultFs(), VerityMode::kRequired);
  Result<CommitStats> stats = CommitTree(*store, src_, TestCommitOptions("main"));
  EXPECT_TRUE(FailsWith(stats, StatusCode::kUnsupported, "verity=required"));
  EXPECT_TRUE(FailsWith(stats, StatusCode::kUnsupported, "tune2fs -O verity"));
  EXPECT_TRUE(Must(store->ListObjects()).empty());
  EXPECT_FALSE(stdfs::exists(store->path() + "/refs/heads/main"));
}

// Every regular file object is sealed as it enters, with the digest the
// commit's signed list gives; symlinks are not; `off` seals nothing.
TEST_F(VeritySealTest, ObjectsAreSealedWithTheListedDigestAsTheyEnter) {
  SealingFs fs;
  std::unique_ptr<Store> store = Open(fs, VerityMode::kRequired);
  EXPECT_TRUE(Must(StoreCanSeal(*store)));
  CommitStats stats = Must(CommitTree(*store, src_, TestCommitOptions("main")));
  VerityDigests digests = Must(CommitVerityDigests(*store, stats.commit));
  ASSERT_EQ(digests.size(), 3u);
  for (const char* path : {"usr/bin/tool", "usr/bin/big", "usr/bin/empty"}) {
    const ObjectKey key = FileKeyAt(*store, stats.commit, path);
    const std::string object = ObjectPath(*store, key);
    ASSERT_TRUE(fs.Sealed(object)) << path;
    UniqueFd fd = Must(fs.OpenRead(store->ObjectDirFd(key.id), Store::ObjectFileName(key)));
    EXPECT_EQ(*Must(fs.MeasureVerity(fd.get())), digests.at(key.id)) << path;
  }
  EXPECT_FALSE(fs.Sealed(ObjectPath(*store, FileKeyAt(*store, stats.commit, "usr/bin/alias"))));
  FsckReport report = Must(Fsck(*store, FsckOptions{}));
  EXPECT_TRUE(report.ok()) << report.problems.front();
  EXPECT_EQ(report.sealed, 3u);

  SealingFs other;
  std::unique_ptr<Store> off = Open(other, VerityMode::kOff);
  Must(CommitTree(*off, src_, TestCommitOptions("main")));
  EXPECT_EQ(other.enabled(), 0u);
}

// A seal whose digest is not the listed one is corruption naming the file
// and both digests.
TEST_F(VeritySealTest, ASealOtherThanTheListedDigestIsCorruption) {
  SealingFs fs;
  std::unique_ptr<Store> store = Open(fs, VerityMode::kOff);
  CommitStats stats = Must(CommitTree(*store, src_, TestCommitOptions("main")));
  const ObjectKey key = FileKeyAt(*store, stats.commit, "usr/bin/tool");
  crypto::FsVerityDigest wrong{};
  wrong[0] = 0x5a;
  Status s = SealFile(fs, store->ObjectDirFd(key.id), Store::ObjectFileName(key), &wrong, "the tool");
  EXPECT_TRUE(FailsWith(s, StatusCode::kCorruption, "the tool: sealed with fs-verity digest "));
  EXPECT_TRUE(FailsWith(s, StatusCode::kCorruption, "list gives " + HexDigest(wrong)));
}

// What `admin deploy` runs before it links: an unsealed object whose bytes
// changed is found by its hash, a sealed one whose seal is not the signed
// digest by its seal (without reading it); each names the object and a path.
TEST_F(VeritySealTest, CheckCommitFilesNamesADamagedObjectSealedOrNot) {
  std::unique_ptr<Store> plain = Open(*fs::DefaultFs(), VerityMode::kOpportunistic);
  CommitStats stats = Must(CommitTree(*plain, src_, TestCommitOptions("main")));
  const ObjectKey tool = FileKeyAt(*plain, stats.commit, "usr/bin/tool");
  WriteTestFile(ObjectPath(*plain, tool), "#!/bin/sh\necho evil\n");
  Status s = CheckCommitFiles(*plain, stats.commit);
  EXPECT_TRUE(FailsWith(s, StatusCode::kCorruption, Store::ObjectRelPath(tool)));
  EXPECT_TRUE(FailsWith(s, StatusCode::kCorruption, "/usr/bin/tool"));
  // Deploy's mode: an unsealed object no deployment links is re-hashed; one
  // a deployment links already (a second link) is not.
  EXPECT_TRUE(FailsWith(CheckCommitFiles(*plain, stats.commit, 0, /*skip_linked=*/true), StatusCode::kCorruption,
                        Store::ObjectRelPath(tool)));
  ASSERT_EQ(::link(ObjectPath(*plain, tool).c_str(), dir_.Sub("deployed-tool").c_str()), 0);
  Must(CheckCommitFiles(*plain, stats.commit, 0, /*skip_linked=*/true));
  EXPECT_TRUE(FailsWith(CheckCommitFiles(*plain, stats.commit), StatusCode::kCorruption, Store::ObjectRelPath(tool)));

  SealingFs fs;
  std::unique_ptr<Store> sealed = Open(fs, VerityMode::kOpportunistic);
  stats = Must(CommitTree(*sealed, src_, TestCommitOptions("main")));
  Must(CheckCommitFiles(*sealed, stats.commit));
  const ObjectKey big = FileKeyAt(*sealed, stats.commit, "usr/bin/big");
  fs.Reseal(ObjectPath(*sealed, big), fs::VerityDigest{1, 2, 3});
  s = CheckCommitFiles(*sealed, stats.commit);
  EXPECT_TRUE(FailsWith(s, StatusCode::kCorruption, Store::ObjectRelPath(big) + ": sealed with fs-verity digest 010203"));
  EXPECT_TRUE(FailsWith(s, StatusCode::kCorruption, "/usr/bin/big"));
  FsckReport report = Must(Fsck(*sealed, FsckOptions{.seals_only = true}));
  ASSERT_EQ(report.problems.size(), 2u);  // the object, and its commit naming it
  EXPECT_NE(report.problems[0].find(Store::ObjectRelPath(big) + ": sealed with"), std::string::npos)
      << report.problems[0];
}

// Objects stored before sealing was on (or on another filesystem) are
// sealed by the first deploy that links them.
TEST_F(VeritySealTest, CheckCommitFilesSealsWhatIsNotSealedYet) {
  SealingFs fs;
  std::unique_ptr<Store> store = Open(fs, VerityMode::kOff);
  CommitStats stats = Must(CommitTree(*store, src_, TestCommitOptions("main")));
  const std::string tool = ObjectPath(*store, FileKeyAt(*store, stats.commit, "usr/bin/tool"));
  ASSERT_FALSE(fs.Sealed(tool));
  Must(CheckCommitFiles(*store, stats.commit));
  EXPECT_FALSE(fs.Sealed(tool));  // off: checked by hash, left as it is
  store->OverrideVerityMode(VerityMode::kOpportunistic);
  Must(CheckCommitFiles(*store, stats.commit));
  EXPECT_TRUE(fs.Sealed(tool));
}

// fsck reads sealed objects unless told --seals-only: a changed byte under
// an intact seal is found only by reading (under the kernel, as an I/O
// error; here, by the hash).
TEST_F(VeritySealTest, FsckReadsSealedObjectsUnlessToldNotTo) {
  SealingFs fs;
  std::unique_ptr<Store> store = Open(fs, VerityMode::kOpportunistic);
  CommitStats stats = Must(CommitTree(*store, src_, TestCommitOptions("main")));
  const ObjectKey big = FileKeyAt(*store, stats.commit, "usr/bin/big");
  {
    std::fstream f(ObjectPath(*store, big), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(12345);
    f.put('X');
  }
  EXPECT_TRUE(Must(Fsck(*store, FsckOptions{.seals_only = true})).ok());
  FsckReport report = Must(Fsck(*store, FsckOptions{}));
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.problems[0].find(Store::ObjectRelPath(big)), std::string::npos) << report.problems[0];
}

// What `admin fsck --repair` builds on: a good copy staged under the id of
// a damaged object replaces it in one transaction, sealed like anything
// that enters; a hard link to the old inode keeps the old bytes (its owner
// relinks it).
TEST_F(VeritySealTest, AReplacementTakesTheDamagedObjectsPlace) {
  SealingFs fs;
  std::unique_ptr<Store> store = Open(fs, VerityMode::kOff);
  CommitStats stats = Must(CommitTree(*store, src_, TestCommitOptions("main")));
  const ObjectKey key = FileKeyAt(*store, stats.commit, "usr/bin/tool");
  const std::string object = ObjectPath(*store, key);
  ASSERT_EQ(::link(object.c_str(), dir_.Sub("deployed-tool").c_str()), 0);
  WriteTestFile(object, "#!/bin/sh\necho evil\n");
  ASSERT_FALSE(VerifyFileObject(*store, key.id).ok());

  store->OverrideVerityMode(VerityMode::kOpportunistic);
  auto txn = Must(Transaction::Begin(*store));
  Must(txn->ClaimReplacement(key));
  EXPECT_TRUE(FailsWith(txn->ClaimReplacement(key), StatusCode::kAlreadyExists, "staged already"));
  const std::string good = "#!/bin/sh\necho tool\n";
  const Bytes content(good.begin(), good.end());
  FileHeader header = Must(ReadFileObjectHeader(*store, key.id));
  header.size = content.size();
  FileContentSource source;
  source.data = &content;
  Must(WriteFileObject(*store, Must(txn->StagingDirFd(key)), Transaction::StagedName(key), header, source));
  Must(txn->Commit());

  Must(VerifyFileObject(*store, key.id));
  EXPECT_TRUE(fs.Sealed(object));
  Must(CheckCommitFiles(*store, stats.commit));
  EXPECT_EQ(testing::ReadTestFile(dir_.Sub("deployed-tool")), "#!/bin/sh\necho evil\n");
  EXPECT_TRUE(Must(Fsck(*store, FsckOptions{})).ok());
}

}  // namespace
}  // namespace larch::repo
