// File: deploy/booted_test.cc
// Which deployment runs: found by the identity of its directory, not by the
// command line (which names the failed default after a fallback).
#include "deploy/booted.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deploy/deploy_test_util.h"

namespace larch::deploy::testing {
namespace {

class BootedTest : public SysrootTest {
 protected:
  struct stat StatOf(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st;
  }
};

TEST_F(BootedTest, EachDeploymentIsFoundByItsDirectory) {
  CommitVersion("1.0");
  boot::DeploymentId v1 = Must(DeployRev("os/stable")).deployment;
  CommitVersion("2.0");
  boot::DeploymentId v2 = Must(DeployRev("os/stable")).deployment;
  for (const boot::DeploymentId& id : {v1, v2}) {
    struct stat st = StatOf(Dir(id));
    std::optional<boot::DeploymentId> found = Must(DeploymentWithIdentity(*sysroot_, st.st_dev, st.st_ino));
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(boot::DeploymentPath(*found), boot::DeploymentPath(id));
  }
}

TEST_F(BootedTest, ADirectoryThatIsNoDeploymentMatchesNone) {
  CommitVersion("1.0");
  boot::DeploymentId v1 = Must(DeployRev("os/stable")).deployment;
  for (const std::string& other : {root_, Dir(v1) + "/usr", dir_.path()}) {
    struct stat st = StatOf(other);
    EXPECT_FALSE(Must(DeploymentWithIdentity(*sysroot_, st.st_dev, st.st_ino)).has_value()) << other;
  }
}

TEST_F(BootedTest, ARootThatIsNoDeploymentFallsBackToTheCommandLine) {
  CommitVersion("1.0");
  boot::DeploymentId v1 = Must(DeployRev("os/stable")).deployment;
  // This test's "/" is not a deployment of the test sysroot, so the running
  // deployment is what the command line says.
  ::setenv(kCmdlineEnv, ("quiet larch=" + boot::DeploymentPath(v1)).c_str(), 1);
  std::optional<boot::DeploymentId> found = Must(FindRunningDeployment(*sysroot_, true));
  ::unsetenv(kCmdlineEnv);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(boot::DeploymentPath(*found), boot::DeploymentPath(v1));
}

// "/" really is looked at: a sysroot whose deployment is this process's
// root directory (a chroot) finds it without any command line.
TEST_F(BootedTest, TheRootDirectoryIsFoundWithoutACommandLine) {
  CommitVersion("1.0");
  boot::DeploymentId v1 = Must(DeployRev("os/stable")).deployment;
  std::string dir = Dir(v1);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::unsetenv(kCmdlineEnv);
    if (::chroot(dir.c_str()) != 0 || ::chdir("/") != 0) ::_exit(2);
    Result<std::optional<boot::DeploymentId>> found = FindRunningDeployment(*sysroot_, false);
    ::_exit(found.ok() && found->has_value() && boot::DeploymentPath(**found) == boot::DeploymentPath(v1) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the chrooted process did not find its deployment";
}

TEST_F(BootedTest, AnotherSysrootIsNotRunningAnything) {
  CommitVersion("1.0");
  boot::DeploymentId v1 = Must(DeployRev("os/stable")).deployment;
  ::setenv(kCmdlineEnv, ("larch=" + boot::DeploymentPath(v1)).c_str(), 1);
  std::optional<boot::DeploymentId> found = Must(FindRunningDeployment(*sysroot_, false));
  ::unsetenv(kCmdlineEnv);
  EXPECT_FALSE(found.has_value());
}

}  // namespace
}  // namespace larch::deploy::testing
