// File: deploy/upgrade_test.cc
// `admin upgrade` against a real publisher store over file://: --check
// sizes the update and changes nothing, --download-only pulls without
// deploying, and the upgrade after it fetches nothing again; the reboot
// command is chosen as documented.
#include "deploy/upgrade.h"

#include <cstdlib>
#include <ctime>

#include "deploy/admin_ops.h"
#include "deploy/boot_config.h"
#include "deploy/deploy_test_util.h"
#include "deploy/failed_releases.h"
#include "repo/trust/summary_publish.h"

namespace larch::deploy::testing {
namespace {

class UpgradeTest : public SysrootTest {
 protected:
  void SetUp() override {
    SysrootTest::SetUp();
    if (IsSkipped()) return;
    MakeRemote();
    server_ = NewStore(dir_.Sub("server"), repo::StoreMode::kArchive);
    // Release 1 pulled and deployed, and booted: what the device runs.
    v1_ = Publish("1.0");
    auto state = Must(sysroot_->OpenState());
    trust::RemoteConfig remote = Must(trust::ReadRemote(sysroot_->store(), "origin"));
    pull::PullOptions pull;
    pull.ref = "os/stable";
    Must(pull::Pull(sysroot_->store(), remote, *state, pull));
    booted_ = Must(DeployRev("origin:os/stable")).deployment;
  }

  // Commits release `version` on the server, signs it, publishes a summary.
  ObjectId Publish(const std::string& version) {
    std::string tree = dir_.Sub("server-tree-" + version);
    MakeOsTree(tree, version);
    repo::CommitOptions o = TestCommitOptions("os/stable");
    o.timestamp = kTestTimestamp + (++trees_);
    o.metadata = {{"version", version}, {"compatible", "board-a"}, {"ref-binding", "os/stable"}};
    ObjectId id = Must(repo::CommitTree(*server_, tree, o)).commit;
    Must(trust::SignCommit(*server_, id, key_[0]));
    trust::PublishOptions publish;
    publish.now = static_cast<uint64_t>(std::time(nullptr)) - 60;
    repo::Summary summary = Must(trust::BuildSummary(*server_, publish));
    std::vector<crypto::Ed25519PrivateKey> keys;
    keys.push_back(Must(crypto::Ed25519PrivateKey::FromPem(key_[0].ToPem())));
    Must(trust::WriteSignedSummary(*server_, summary, keys));
    return id;
  }

  Result<UpgradeResult> Run(UpgradeMode mode) {
    UpgradeOptions o;
    o.booted = booted_;
    o.mode = mode;
    return Upgrade(*sysroot_, o);
  }

  std::optional<ObjectId> PulledRef() { return Must(repo::ReadRef(sysroot_->store(), "origin:os/stable")); }
  size_t OkPulls() {
    auto state = Must(sysroot_->OpenState());
    size_t n = 0;
    for (const trust::HistoryEntry& e : Must(state->History(1000))) n += e.action == "pull" && e.outcome == "ok";
    return n;
  }

  std::unique_ptr<repo::Store> server_;
  ObjectId v1_;
};

TEST_F(UpgradeTest, CheckSizesTheUpdateAndChangesNothing) {
  const ObjectId v2 = Publish("2.0");
  const std::vector<boot::DeploymentId> before = List();
  const size_t pulls = OkPulls();
  UpgradeResult r = Must(Run(UpgradeMode::kCheck));
  EXPECT_FALSE(r.up_to_date);
  EXPECT_EQ(r.commit, v2);
  EXPECT_EQ(r.current, v1_.Hex());
  ASSERT_TRUE(r.pulled);
  EXPECT_EQ(r.pulled->method, "objects");
  EXPECT_FALSE(r.pulled->up_to_date);
  // /usr/bin/tool and /etc/os-release differ: at least their bytes.
  EXPECT_GT(r.pulled->download_bytes, 0u);
  EXPECT_FALSE(r.deployed);
  EXPECT_EQ(PulledRef(), v1_);
  EXPECT_EQ(List(), before);
  EXPECT_EQ(OkPulls(), pulls);
  EXPECT_FALSE(Must(sysroot_->store().HasObject({v2, repo::ObjectType::kCommit})));
}

TEST_F(UpgradeTest, CheckWhenUpToDate) {
  UpgradeResult r = Must(Run(UpgradeMode::kCheck));
  EXPECT_TRUE(r.up_to_date);
  EXPECT_EQ(r.commit, v1_);
  EXPECT_EQ(r.pulled->download_bytes, 0u);
}

TEST_F(UpgradeTest, DownloadOnlyThenUpgradeFetchesNothingAgain) {
  const ObjectId v2 = Publish("2.0");
  const std::vector<boot::DeploymentId> before = List();
  UpgradeResult downloaded = Must(Run(UpgradeMode::kDownloadOnly));
  EXPECT_FALSE(downloaded.up_to_date);
  EXPECT_FALSE(downloaded.deployed);
  EXPECT_GT(downloaded.pulled->objects_fetched, 0u);
  EXPECT_EQ(PulledRef(), v2);
  EXPECT_EQ(List(), before);

  // A check now knows the update is here: nothing left to download.
  UpgradeResult check = Must(Run(UpgradeMode::kCheck));
  EXPECT_FALSE(check.up_to_date);
  EXPECT_TRUE(check.pulled->up_to_date);
  EXPECT_EQ(check.pulled->download_bytes, 0u);

  UpgradeResult deployed = Must(Run(UpgradeMode::kDeploy));
  ASSERT_TRUE(deployed.deployed);
  EXPECT_EQ(deployed.deployed->deployment.commit, v2.Hex());
  EXPECT_EQ(deployed.pulled->method, "none");
  EXPECT_EQ(deployed.pulled->objects_fetched, 0u);
  EXPECT_EQ(List()[0].commit, v2.Hex());
  EXPECT_TRUE(Must(Run(UpgradeMode::kCheck)).up_to_date);
}

// 2.0 deployed, its boots fail, the helper falls back to 1.0, boot-ok
// records it; the operator rolls back. The unattended upgrade must not
// install 2.0 again; a newer release, or an explicit deploy, still goes.
TEST_F(UpgradeTest, AReleaseThatFellBackIsNotInstalledAgain) {
  const ObjectId v2 = Publish("2.0");
  const boot::DeploymentId d2 = Must(Run(UpgradeMode::kDeploy)).deployed->deployment;
  BootConfig config = Config();
  boot::BootState fell = *config.state;
  fell.status = boot::BootStatus::kFellBack;
  fell.tries_left = 0;
  fell.reason = "default " + boot::DeploymentName(d2) + " was not marked good within its boot tries";
  Must(SwapBootConfig(*sysroot_, config, fell));
  BootOkResult ok = Must(BootOk(*sysroot_, booted_));
  ASSERT_TRUE(ok.fell_back);
  auto state = Must(sysroot_->OpenState());
  std::optional<FailedRelease> failed = Must(FindFailedRelease(state->database(), kOs, v2.Hex()));
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->reason, fell.reason);
  Must(Rollback(*sysroot_, booted_, std::nullopt));
  ASSERT_EQ(List()[0], *booted_);

  const std::vector<boot::DeploymentId> before = List();
  UpgradeResult again = Must(Run(UpgradeMode::kDeploy));
  EXPECT_FALSE(again.deployed);
  EXPECT_FALSE(again.up_to_date);
  ASSERT_TRUE(again.failed_before.has_value());
  EXPECT_EQ(again.failed_before->reason, fell.reason);
  EXPECT_EQ(List(), before);
  EXPECT_TRUE(Must(Run(UpgradeMode::kCheck)).failed_before.has_value());

  // A person may still install it.
  DeployOptions explicit_deploy;
  explicit_deploy.revision = "origin:os/stable";
  explicit_deploy.booted = booted_;
  EXPECT_EQ(Must(Deploy(*sysroot_, explicit_deploy)).deployment.commit, v2.Hex());
  // And the next release is an upgrade again.
  Must(Rollback(*sysroot_, booted_, std::nullopt));
  const ObjectId v3 = Publish("3.0");
  UpgradeResult next = Must(Run(UpgradeMode::kDeploy));
  ASSERT_TRUE(next.deployed);
  EXPECT_EQ(next.deployed->deployment.commit, v3.Hex());
  EXPECT_FALSE(next.failed_before);
}

TEST_F(UpgradeTest, CheckRefusesABundle) {
  UpgradeOptions o;
  o.booted = booted_;
  o.mode = UpgradeMode::kCheck;
  o.bundle = dir_.Sub("some.bundle");
  EXPECT_EQ(Upgrade(*sysroot_, o).status().code(), StatusCode::kInvalidArgument);
}

TEST(RebootCommandTest, TheEnvironmentOverridesTheDefault) {
  ::setenv(kRebootCommandEnv, "echo reboot >/dev/null", 1);
  EXPECT_EQ(RebootCommand(), "echo reboot >/dev/null");
  EXPECT_TRUE(Reboot().ok());
  ::setenv(kRebootCommandEnv, "exit 3", 1);
  EXPECT_FALSE(Reboot().ok());
  ::unsetenv(kRebootCommandEnv);
  const std::string fallback = RebootCommand();
  EXPECT_TRUE(fallback == "systemctl reboot" || fallback == "reboot") << fallback;
}

}  // namespace
}  // namespace larch::deploy::testing
