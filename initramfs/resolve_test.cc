// File: initramfs/resolve_test.cc
// Paths read at boot never leave the physical root: symlinks are confined
// (OpenInRoot) or refused (OpenNoSymlinks, for deployment paths), and a
// deployment counts as bootable only when it really is one.
#include "initramfs/resolve.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "initramfs/bootable.h"
#include "initramfs/test_util.h"

namespace larch::initramfs {
namespace {

using larch::testing::ReadTestFile;
using larch::testing::TempDir;
using larch::testing::WriteTestFile;
using testing::Dep;
using testing::MakeBootable;
using testing::MkdirP;

std::string ReadFd(int fd) {
  char buf[256];
  ssize_t n = pread(fd, buf, sizeof buf, 0);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

class Resolve : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.Sub("root");
    MkdirP(root_ + "/boot/loader.1");
    MkdirP(root_ + "/ostree");
    WriteTestFile(root_ + "/boot/loader.1/boot-state", "inside");
    WriteTestFile(dir_.Sub("outside"), "outside");
    fd_ = open(root_.c_str(), O_RDONLY | O_DIRECTORY);
  }
  void TearDown() override { close(fd_); }
  TempDir dir_;
  std::string root_;
  int fd_ = -1;
};

TEST_F(Resolve, FollowsRelativeSymlinksInsideTheRoot) {
  symlink("loader.1", (root_ + "/boot/loader").c_str());
  symlink("../boot/loader", (root_ + "/ostree/boot").c_str());
  Opened o = OpenInRoot(fd_, "ostree/boot/boot-state", O_RDONLY);
  ASSERT_TRUE(o.fd.valid()) << o.error;
  EXPECT_EQ(ReadFd(o.fd.get()), "inside");
}

TEST_F(Resolve, AbsoluteSymlinksStartAgainAtTheRoot) {
  symlink("/boot/loader.1", (root_ + "/ostree/boot").c_str());
  Opened o = OpenInRoot(fd_, "ostree/boot/boot-state", O_RDONLY);
  ASSERT_TRUE(o.fd.valid()) << o.error;
  EXPECT_EQ(ReadFd(o.fd.get()), "inside");
}

TEST_F(Resolve, DotDotNeverClimbsOutOfTheRoot) {
  symlink("../../../../outside", (root_ + "/ostree/escape").c_str());
  WriteTestFile(root_ + "/outside", "root's own");
  Opened o = OpenInRoot(fd_, "ostree/escape", O_RDONLY);
  ASSERT_TRUE(o.fd.valid()) << o.error;
  EXPECT_EQ(ReadFd(o.fd.get()), "root's own");
  EXPECT_EQ(ReadTestFile(dir_.Sub("outside")), "outside");
  Opened direct = OpenInRoot(fd_, "../outside", O_RDONLY);
  ASSERT_TRUE(direct.fd.valid());
  EXPECT_EQ(ReadFd(direct.fd.get()), "root's own");
}

TEST_F(Resolve, SymlinkLoopsEnd) {
  symlink("b", (root_ + "/a").c_str());
  symlink("a", (root_ + "/b").c_str());
  EXPECT_EQ(OpenInRoot(fd_, "a", O_RDONLY).error, ELOOP);
}

TEST_F(Resolve, NoSymlinksRefusesAnySymlinkAndDotDot) {
  symlink(dir_.path().c_str(), (root_ + "/ostree/deploy").c_str());
  EXPECT_EQ(OpenNoSymlinks(fd_, "ostree/deploy", O_PATH).error, ELOOP);
  EXPECT_EQ(OpenNoSymlinks(fd_, "boot/../ostree", O_PATH).error, ELOOP);
  EXPECT_TRUE(OpenNoSymlinks(fd_, "boot/loader.1/boot-state", O_RDONLY).fd.valid());
  EXPECT_EQ(OpenNoSymlinks(fd_, "boot/nothing", O_RDONLY).error, ENOENT);
}

TEST_F(Resolve, BootableNeedsARealDeploymentWithUsrAndInit) {
  boot::DeploymentId good = Dep('a'), bare = Dep('b'), no_init = Dep('c'), linked = Dep('d');
  MakeBootable(root_, good);
  std::string init;
  EXPECT_EQ(CheckBootable(fd_, good, kDefaultInits, &init), "");
  EXPECT_EQ(init, "/sbin/init");
  EXPECT_EQ(CheckBootable(fd_, bare, kDefaultInits, &init), "it does not exist");
  MkdirP(root_ + boot::DeploymentPath(bare));
  EXPECT_EQ(CheckBootable(fd_, bare, kDefaultInits, &init), "it has no /usr directory");
  MkdirP(root_ + boot::DeploymentPath(no_init) + "/usr");
  EXPECT_NE(CheckBootable(fd_, no_init, kDefaultInits, &init).find("no init program"), std::string::npos);
  // A deployment that is a symlink to a tree elsewhere (even a bootable one).
  MakeBootable(dir_.Sub("elsewhere"), good);
  symlink((dir_.Sub("elsewhere") + boot::DeploymentPath(good)).c_str(),
          (root_ + boot::DeploymentPath(linked)).c_str());
  EXPECT_NE(CheckBootable(fd_, linked, kDefaultInits, &init).find("symlink"), std::string::npos);
  // init= names a program that exists only outside the deployment.
  EXPECT_NE(CheckBootable(fd_, good, {"/../../../../outside"}, &init), "");
}

TEST_F(Resolve, FindsDeploymentsNewestFirstAndSkipsLeftovers) {
  boot::DeploymentId a = Dep('a'), b = Dep('b', 2);
  MakeBootable(root_, a);
  MakeBootable(root_, b);
  struct timespec times[2] = {{100, 0}, {100, 0}};
  utimensat(AT_FDCWD, (root_ + boot::DeploymentPath(a)).c_str(), times, 0);
  MkdirP(root_ + "/ostree/deploy/debian/deploy/.stage-x");
  WriteTestFile(root_ + boot::DeploymentPath(a) + ".origin", "");
  EXPECT_EQ(FindDeployments(fd_), (std::vector<boot::DeploymentId>{b, a}));
}

}  // namespace
}  // namespace larch::initramfs
