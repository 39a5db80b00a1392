// File: deploy/etc_merge_test.cc
// The /etc three-way merge, case by case, on real directories: old defaults
// (o), the user's /etc (u), new defaults (n) -> the merged /etc (out).
#include "deploy/etc_merge.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "repo/repo_test_util.h"

namespace larch::deploy {
namespace {

using repo::testing::FailsWith;
using repo::testing::Must;
using repo::testing::ReadTestFile;
using repo::testing::TempDir;
using repo::testing::WriteTestFile;
namespace stdfs = std::filesystem;

class EtcMergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* side : {"o", "u", "n"}) stdfs::create_directories(dir_.Sub(side) + "/etc");
    // Every side starts from the same defaults.
    for (const char* side : {"o", "u", "n"}) {
      WriteTestFile(Path(side, "hostname"), "device\n");
      WriteTestFile(Path(side, "fstab"), "/dev/root / ext4 defaults 0 1\n");
      stdfs::create_directories(Path(side, "ssh"));
      WriteTestFile(Path(side, "ssh/sshd_config"), "PermitRootLogin no\n");
      stdfs::create_symlink("/usr/share/zoneinfo/UTC", Path(side, "localtime"));
    }
  }

  std::string Path(const std::string& side, const std::string& rel) { return dir_.Sub(side) + "/etc/" + rel; }
  std::string Out(const std::string& rel) { return dir_.Sub("out") + "/" + rel; }

  // Runs the merge into dir/out; the conflicts it reported.
  std::vector<std::string> Merge(bool with_old = true) {
    fs::Fs& fs = *fs::DefaultFs();
    UniqueFd o = Must(fs.OpenDirPath(AT_FDCWD, dir_.Sub("o")));
    UniqueFd u = Must(fs.OpenDirPath(AT_FDCWD, dir_.Sub("u")));
    UniqueFd n = Must(fs.OpenDirPath(AT_FDCWD, dir_.Sub("n")));
    UniqueFd top = Must(fs.OpenDirPath(AT_FDCWD, dir_.path()));
    EtcSide old_side = with_old ? EtcSide{o.get(), "etc"} : EtcSide{};
    EtcSide user_side = with_old ? EtcSide{u.get(), "etc"} : EtcSide{};
    return Must(MergeEtc(fs, old_side, user_side, EtcSide{n.get(), "etc"}, top.get(), "out")).conflicts;
  }

  TempDir dir_;
};

TEST_F(EtcMergeTest, UntouchedFilesFollowTheNewDefaults) {
  WriteTestFile(Path("n", "hostname"), "renamed\n");   // changed by the update
  WriteTestFile(Path("n", "added.conf"), "new\n");     // added by the update
  stdfs::remove(Path("n", "fstab"));                    // removed by the update
  EXPECT_TRUE(Merge().empty());
  EXPECT_EQ(ReadTestFile(Out("hostname")), "renamed\n");
  EXPECT_EQ(ReadTestFile(Out("added.conf")), "new\n");
  EXPECT_FALSE(stdfs::exists(Out("fstab")));
  EXPECT_EQ(ReadTestFile(Out("ssh/sshd_config")), "PermitRootLogin no\n");
}

TEST_F(EtcMergeTest, UserModifiedFileIsKept) {
  WriteTestFile(Path("u", "ssh/sshd_config"), "PermitRootLogin yes\n");
  EXPECT_TRUE(Merge().empty());
  EXPECT_EQ(ReadTestFile(Out("ssh/sshd_config")), "PermitRootLogin yes\n");
}

TEST_F(EtcMergeTest, UserModeChangeIsAModification) {
  ::chmod(Path("u", "hostname").c_str(), 0600);
  WriteTestFile(Path("n", "hostname"), "renamed\n");
  EXPECT_EQ(Merge(), std::vector<std::string>{"hostname"});
  EXPECT_EQ(ReadTestFile(Out("hostname")), "device\n");
  EXPECT_EQ(stdfs::status(Out("hostname")).permissions(), stdfs::perms::owner_read | stdfs::perms::owner_write);
}

TEST_F(EtcMergeTest, UserAddedFileAndDirectoryAreKept) {
  WriteTestFile(Path("u", "my.conf"), "mine\n");
  stdfs::create_directories(Path("u", "myapp.d"));
  WriteTestFile(Path("u", "myapp.d/10-local"), "local\n");
  EXPECT_TRUE(Merge().empty());
  EXPECT_EQ(ReadTestFile(Out("my.conf")), "mine\n");
  EXPECT_EQ(ReadTestFile(Out("myapp.d/10-local")), "local\n");
}

TEST_F(EtcMergeTest, UserDeletedFileStaysDeleted) {
  stdfs::remove(Path("u", "fstab"));
  stdfs::remove_all(Path("u", "ssh"));
  EXPECT_TRUE(Merge().empty());
  EXPECT_FALSE(stdfs::exists(Out("fstab")));
  EXPECT_FALSE(stdfs::exists(Out("ssh")));
}

TEST_F(EtcMergeTest, ChangedByBothIsAConflictKeepingTheUsersAndSavingTheNew) {
  WriteTestFile(Path("u", "ssh/sshd_config"), "PermitRootLogin yes\n");
  WriteTestFile(Path("n", "ssh/sshd_config"), "PermitRootLogin prohibit-password\n");
  EXPECT_EQ(Merge(), std::vector<std::string>{"ssh/sshd_config"});
  EXPECT_EQ(ReadTestFile(Out("ssh/sshd_config")), "PermitRootLogin yes\n");
  EXPECT_EQ(ReadTestFile(Out("ssh/sshd_config.larch-new")), "PermitRootLogin prohibit-password\n");
}

TEST_F(EtcMergeTest, SameChangeOnBothSidesIsNoConflict) {
  WriteTestFile(Path("u", "hostname"), "same\n");
  WriteTestFile(Path("n", "hostname"), "same\n");
  EXPECT_TRUE(Merge().empty());
  EXPECT_EQ(ReadTestFile(Out("hostname")), "same\n");
}

TEST_F(EtcMergeTest, DeletedByUserChangedByUpdateIsAConflict) {
  stdfs::remove(Path("u", "fstab"));
  WriteTestFile(Path("n", "fstab"), "/dev/root / ext4 noatime 0 1\n");
  EXPECT_EQ(Merge(), std::vector<std::string>{"fstab"});
  EXPECT_FALSE(stdfs::exists(Out("fstab")));
  EXPECT_EQ(ReadTestFile(Out("fstab.larch-new")), "/dev/root / ext4 noatime 0 1\n");
}

TEST_F(EtcMergeTest, ModifiedByUserRemovedByUpdateIsAConflictKeepingTheUsers) {
  WriteTestFile(Path("u", "fstab"), "mine\n");
  stdfs::remove(Path("n", "fstab"));
  EXPECT_EQ(Merge(), std::vector<std::string>{"fstab"});
  EXPECT_EQ(ReadTestFile(Out("fstab")), "mine\n");
  EXPECT_FALSE(stdfs::exists(Out("fstab.larch-new")));
}

TEST_F(EtcMergeTest, TypeChangedByTheUpdateFollowsWhenUntouched) {
  // fstab becomes a directory; ssh becomes a file.
  stdfs::remove(Path("n", "fstab"));
  stdfs::create_directories(Path("n", "fstab"));
  WriteTestFile(Path("n", "fstab/00-root"), "/dev/root / ext4\n");
  stdfs::remove_all(Path("n", "ssh"));
  WriteTestFile(Path("n", "ssh"), "not a directory any more\n");
  EXPECT_TRUE(Merge().empty());
  EXPECT_EQ(ReadTestFile(Out("fstab/00-root")), "/dev/root / ext4\n");
  EXPECT_EQ(ReadTestFile(Out("ssh")), "not a directory any more\n");
}

TEST_F(EtcMergeTest, TypeChangedByTheUpdateOverAUserEditIsAConflict) {
  WriteTestFile(Path("u", "ssh/sshd_config"), "PermitRootLogin yes\n");
  stdfs::remove_all(Path("n", "ssh"));
  WriteTestFile(Path("n", "ssh"), "a file now\n");
  EXPECT_EQ(Merge(), std::vector<std::string>{"ssh"});
  EXPECT_EQ(ReadTestFile(Out("ssh/sshd_config")), "PermitRootLogin yes\n");
  EXPECT_EQ(ReadTestFile(Out("ssh.larch-new")), "a file now\n");
}

TEST_F(EtcMergeTest, TypeChangedByTheUserIsKept) {
  stdfs::remove(Path("u", "hostname"));
  stdfs::create_symlink("/run/hostname", Path("u", "hostname"));
  EXPECT_TRUE(Merge().empty());
  EXPECT_EQ(stdfs::read_symlink(Out("hostname")), "/run/hostname");
}

TEST_F(EtcMergeTest, SymlinksMergeByTarget) {
  // The user points localtime elsewhere; the update adds a symlink and
  // retargets one the user left alone.
  stdfs::remove(Path("u", "localtime"));
  stdfs::create_symlink("/usr/share/zoneinfo/Europe/Paris", Path("u", "localtime"));
  for (const char* side : {"o", "u"}) stdfs::create_symlink("old-target", Path(side, "alternative"));
  stdfs::create_symlink("new-target", Path("n", "alternative"));
  stdfs::create_symlink("../run/resolv.conf", Path("n", "resolv.conf"));
  stdfs::remove(Path("n", "localtime"));
  stdfs::create_symlink("/usr/share/zoneinfo/Etc/UTC", Path("n", "localtime"));
  EXPECT_EQ(Merge(), std::vector<std::string>{"localtime"});
  EXPECT_EQ(stdfs::read_symlink(Out("localtime")), "/usr/share/zoneinfo/Europe/Paris");
  EXPECT_EQ(stdfs::read_symlink(Out("localtime.larch-new")), "/usr/share/zoneinfo/Etc/UTC");
  EXPECT_EQ(stdfs::read_symlink(Out("alternative")), "new-target");
  EXPECT_EQ(stdfs::read_symlink(Out("resolv.conf")), "../run/resolv.conf");
}

TEST_F(EtcMergeTest, DirectoryRemovedByTheUpdateKeepsTheUsersFiles) {
  WriteTestFile(Path("u", "ssh/my_key"), "user's\n");
  stdfs::remove_all(Path("n", "ssh"));
  EXPECT_TRUE(Merge().empty());
  EXPECT_FALSE(stdfs::exists(Out("ssh/sshd_config")));
  EXPECT_EQ(ReadTestFile(Out("ssh/my_key")), "user's\n");
}

TEST_F(EtcMergeTest, CopiesKeepModeOwnerAndAreNeverHardLinks) {
  ::chmod(Path("n", "hostname").c_str(), 0640);
  ::chmod(Path("o", "hostname").c_str(), 0640);
  ::chmod(Path("u", "hostname").c_str(), 0640);
  bool root = ::geteuid() == 0;
  for (const char* side : {"n", "o", "u"}) {
    if (root) {
      ASSERT_EQ(::lchown(Path(side, "hostname").c_str(), 1234, 5678), 0);
    }
  }
  EXPECT_TRUE(Merge().empty());
  struct stat out {}, src {};
  ASSERT_EQ(::lstat(Out("hostname").c_str(), &out), 0);
  ASSERT_EQ(::lstat(Path("n", "hostname").c_str(), &src), 0);
  EXPECT_NE(out.st_ino, src.st_ino);
  EXPECT_EQ(out.st_nlink, 1u);
  EXPECT_EQ(out.st_mode & 07777, 0640u);
  if (root) {
    EXPECT_EQ(out.st_uid, 1234u);
  }
}

TEST_F(EtcMergeTest, LeftoverConflictCopiesAreNotCarriedOver) {
  WriteTestFile(Path("u", "hostname.larch-new"), "from an earlier conflict\n");
  EXPECT_TRUE(Merge().empty());
  EXPECT_FALSE(stdfs::exists(Out("hostname.larch-new")));
}

TEST_F(EtcMergeTest, WithoutAPreviousDeploymentTheDefaultsAreCopied) {
  WriteTestFile(Path("u", "ignored"), "no previous deployment\n");
  EXPECT_TRUE(Merge(/*with_old=*/false).empty());
  EXPECT_EQ(ReadTestFile(Out("hostname")), "device\n");
  EXPECT_FALSE(stdfs::exists(Out("ignored")));
}

}  // namespace
}  // namespace larch::deploy
