// File: deploy/admin_ops_test.cc
// rollback, set-default, undeploy, pin, boot-ok, cleanup, status and the
// history they leave, on a real sysroot.
#include "deploy/admin_ops.h"

#include <cstdlib>

#include "deploy/cleanup.h"
#include "deploy/deploy_history.h"
#include "deploy/deploy_test_util.h"
#include "deploy/deployment_build.h"
#include "deploy/status.h"

namespace larch::deploy::testing {
namespace {

class AdminOpsTest : public SysrootTest {
 protected:
  // v1 deployed and booted, v2 deployed (pending).
  void TwoDeployments() {
    CommitVersion("1.0");
    v1_ = Must(DeployRev("os/stable")).deployment;
    booted_ = v1_;
    CommitVersion("2.0");
    v2_ = Must(DeployRev("os/stable")).deployment;
  }
  std::vector<DeployEvent> History() {
    auto state = Must(sysroot_->OpenState());
    return Must(ReadDeployHistory(state->database(), 100));
  }

  boot::DeploymentId v1_, v2_;
};

TEST_F(AdminOpsTest, RollbackFromPendingReturnsToTheBootedOne) {
  TwoDeployments();
  ChangeResult r = Must(Rollback(*sysroot_, booted_, std::nullopt));
  EXPECT_EQ(r.after, (std::vector{v1_, v2_}));
  EXPECT_EQ(List(), (std::vector{v1_, v2_}));
  EXPECT_EQ(Config().state->tries_left, 3u);
  EXPECT_EQ(History()[0].action, "rollback");
  EXPECT_EQ(History()[0].from_deployment, boot::DeploymentName(v2_));
  EXPECT_EQ(History()[0].to_deployment, boot::DeploymentName(v1_));
}

TEST_F(AdminOpsTest, RollbackAfterRebootGoesToThePreviousOne) {
  TwoDeployments();
  booted_ = v2_;
  Must(Rollback(*sysroot_, booted_, 2));
  EXPECT_EQ(List(), (std::vector{v1_, v2_}));
  EXPECT_EQ(Config().state->tries_left, 2u);
  // Each swap alternates the loader directory; entries follow the list.
  std::string entry0 = ReadTestFile(root_ + "/boot/loader/entries/larch-testos-0.conf");
  EXPECT_NE(entry0.find("larch=" + boot::DeploymentPath(v1_)), std::string::npos);
}

TEST_F(AdminOpsTest, SetDefaultAndUndeploy) {
  TwoDeployments();
  Must(SetDefault(*sysroot_, 1, booted_, std::nullopt));
  EXPECT_EQ(List(), (std::vector{v1_, v2_}));
  EXPECT_TRUE(FailsWith(Undeploy(*sysroot_, 0, booted_), StatusCode::kInvalidArgument, "is the booted one"));
  ChangeResult r = Must(Undeploy(*sysroot_, 1, booted_));
  EXPECT_EQ(r.removed, std::vector{v2_});
  EXPECT_EQ(List(), std::vector{v1_});
  EXPECT_FALSE(stdfs::exists(Dir(v2_)));
  EXPECT_TRUE(FailsWith(Undeploy(*sysroot_, 5, booted_), StatusCode::kNotFound, "no deployment with index 5"));
}

TEST_F(AdminOpsTest, PinAndUnpin) {
  TwoDeployments();
  Must(SetPinned(*sysroot_, 1, true));
  EXPECT_NE(ReadTestFile(Dir(v1_) + ".origin").find("pinned=1"), std::string::npos);
  SysrootStatus s = Must(GatherStatus(*sysroot_, booted_));
  EXPECT_TRUE(s.deployments[1].info.origin.pinned);
  Must(SetPinned(*sysroot_, 1, false));
  EXPECT_NE(ReadTestFile(Dir(v1_) + ".origin").find("pinned=0"), std::string::npos);
  EXPECT_EQ(History()[0].action, "unpin");
}

TEST_F(AdminOpsTest, BootOkMarksTheDefaultGood) {
  TwoDeployments();
  booted_ = v2_;
  BootOkResult r = Must(BootOk(*sysroot_, booted_));
  EXPECT_TRUE(r.is_default);
  EXPECT_EQ(Config().state->status, boot::BootStatus::kGood);
  auto state = Must(sysroot_->OpenState());
  auto outcomes = Must(ReadBootOutcomes(state->database(), 10));
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].outcome, "good");
  EXPECT_EQ(outcomes[0].deployment, boot::DeploymentPath(v2_));
  EXPECT_TRUE(FailsWith(BootOk(*sysroot_, std::nullopt), StatusCode::kInvalidArgument, "no larch="));
}

// bootloader=uboot: boot-ok on the default resets U-Boot's counter with the
// real fw_setenv before it marks anything; when that fails, nothing is marked.
TEST_F(AdminOpsTest, BootOkWithUbootResetsItsCounterFirst) {
  if (std::system("{ command -v fw_setenv && command -v mkenvimage; } >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "no fw_setenv (libubootenv-tool) or mkenvimage (u-boot-tools)";
  const std::string env = root_ + "/larch-boot.env", config = root_ + "/fw_env.config";
  // The blob as U-Boot's boot.cmd leaves it after counting one boot of v2.
  WriteTestFile(root_ + "/seed.txt", "larch_for=x.0\nlarch_left=2\n");
  ASSERT_EQ(std::system(("mkenvimage -s 0x2000 -o '" + env + "' '" + root_ + "/seed.txt'").c_str()), 0);
  const std::string seeded = ReadTestFile(env);
  WriteTestFile(config, root_ + "/missing/larch-boot.env 0x0 0x2000\n");
  WriteTestFile(root_ + "/ostree/larch.conf", "bootloader=uboot\nboot-tries=2\nuboot-env-config=" + config + "\n");
  TwoDeployments();
  booted_ = v2_;
  const std::string before = ReadTestFile(root_ + "/boot/loader/boot-state");
  EXPECT_TRUE(FailsWith(BootOk(*sysroot_, booted_), StatusCode::kIoError, "resetting U-Boot's boot counter"));
  EXPECT_EQ(ReadTestFile(root_ + "/boot/loader/boot-state"), before);
  EXPECT_EQ(Config().state->status, boot::BootStatus::kPending);

  WriteTestFile(config, env + " 0x0 0x2000\n");
  Must(BootOk(*sysroot_, booted_));
  EXPECT_EQ(Config().state->status, boot::BootStatus::kGood);
  std::string blob = ReadTestFile(env);
  EXPECT_NE(blob.find("larch_for=" + boot::DeploymentName(v2_)), std::string::npos);
  EXPECT_NE(blob.find(std::string("larch_left=3") + '\0'), std::string::npos);  // boot-tries + 1
  // On the fallback it is left alone: U-Boot keeps booting the fallback.
  WriteTestFile(env, seeded);
  Must(BootOk(*sysroot_, v1_));
  EXPECT_EQ(ReadTestFile(env), seeded);
}

TEST_F(AdminOpsTest, BootOkOnTheFallbackRecordsWhyItFellBack) {
  TwoDeployments();
  // What the boot-time helper writes when the default used up its tries.
  std::string file = root_ + "/boot/loader/boot-state";
  boot::BootState s = *Config().state;
  s.tries_left = 0;
  s.status = boot::BootStatus::kFellBack;
  s.reason = "2.0 did not confirm a good boot in 3 tries";
  WriteTestFile(file, boot::EncodeBootState(s));
  BootOkResult r = Must(BootOk(*sysroot_, v1_));
  EXPECT_TRUE(r.fell_back);
  EXPECT_EQ(r.reason, s.reason);
  SysrootStatus st = Must(GatherStatus(*sysroot_, v1_));
  EXPECT_TRUE(st.deployments[1].booted);
  EXPECT_EQ(st.boot->reason, s.reason);
  auto state = Must(sysroot_->OpenState());
  EXPECT_EQ(Must(ReadBootOutcomes(state->database(), 1))[0].outcome, "fell-back");
}

TEST_F(AdminOpsTest, StatusRoles) {
  TwoDeployments();
  SysrootStatus s = Must(GatherStatus(*sysroot_, booted_));
  ASSERT_EQ(s.deployments.size(), 2u);
  EXPECT_TRUE(s.deployments[0].pending && s.deployments[0].is_default);
  EXPECT_TRUE(s.deployments[1].booted);
  EXPECT_EQ(s.deployments[0].info.version, "2.0");
  EXPECT_EQ(s.deployments[1].info.origin.Refspec(), "os/stable");
}

TEST_F(AdminOpsTest, CleanupRemovesUnreferencedDeploymentsBootFilesAndObjects) {
  TwoDeployments();
  ObjectId v3 = CommitVersion("3.0", [](const std::string& t) {
    WriteTestFile(t + "/usr/lib/modules/6.1.0/vmlinuz", "kernel 6.1.1\n");
  });
  boot::DeploymentId d3 = Must(DeployRev(v3.Hex())).deployment;  // replaces the pending v2
  EXPECT_EQ(List(), (std::vector{d3, v1_}));
  EXPECT_EQ(ListNames(root_ + "/boot/larch").size(), 2u);
  // A crash's leftovers, and the local branch no longer pointing at v2's commit.
  stdfs::create_directories(root_ + "/ostree/deploy/testos/deploy/.stage-junk/usr");
  Must(repo::DeleteRef(sysroot_->store(), "os/stable"));
  CleanupResult r = Must(Cleanup(*sysroot_, booted_));
  EXPECT_GT(r.objects_deleted, 0u);
  EXPECT_FALSE(stdfs::exists(root_ + "/ostree/deploy/testos/deploy/.stage-junk"));
  EXPECT_FALSE(Must(sysroot_->store().HasObject({Must(repo::ObjectId::FromHex(v2_.commit)), repo::ObjectType::kCommit})));
  EXPECT_TRUE(Must(sysroot_->store().HasObject({v3, repo::ObjectType::kCommit})));
  // Undeploying v3 leaves its kernel unreferenced: cleanup takes it away.
  booted_ = v1_;
  Must(Undeploy(*sysroot_, 0, booted_));
  EXPECT_EQ(ListNames(root_ + "/boot/larch").size(), 1u);
}

}  // namespace
}  // namespace larch::deploy::testing
