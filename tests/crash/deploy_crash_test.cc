// File: tests/crash/deploy_crash_test.cc
// Crash sweep for the admin verbs that change a sysroot: deploy, rollback,
// undeploy and cleanup. For every mutating filesystem call i of the verb,
// "lose power" at i (FaultFs drops everything not yet durable), then check
// with the real filesystem that:
//   - the boot configuration decodes and lists exactly the old set of
//     deployments or exactly the new set, never a mix;
//   - every deployment it lists is complete (the same tree, entry for entry,
//     as after an uninterrupted run), has its BLS entry and its kernel;
//   - the store passes fsck;
//   - running the verb again afterwards succeeds.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <cstdio>
#include <map>

#include <gtest/gtest.h>

#include "deploy/admin_ops.h"
#include "deploy/boot_config.h"
#include "deploy/cleanup.h"
#include "deploy/deploy.h"
#include "deploy/deploy_test_util.h"
#include "repo/fsck.h"
#include "src/base/hex.h"
#include "src/crypto/sha256.h"
#include "tests/crash/no_sync_fs.h"
#include "tests/support/fault_fs.h"

namespace larch::deploy::testing {
namespace {

enum class Op { kDeploy, kRollback, kUndeploy, kCleanup };


std::string OpName(Op op) {
  switch (op) {
    case Op::kDeploy: return "Deploy";
    case Op::kRollback: return "Rollback";
    case Op::kUndeploy: return "Undeploy";
    case Op::kCleanup: return "Cleanup";
  }
  return "?";
}

// Every entry below `root`: path, type and mode, owner, size, content hash
// or symlink target. Equal listings are equal trees.
std::map<std::string, std::string> Listing(const std::string& root) {
  std::map<std::string, std::string> out;
  for (auto it = stdfs::recursive_directory_iterator(root); it != stdfs::recursive_directory_iterator(); ++it) {
    struct stat st {};
    EXPECT_EQ(::lstat(it->path().c_str(), &st), 0);
    std::string what = std::to_string(st.st_mode) + " " + std::to_string(st.st_uid) + " " + std::to_string(st.st_size);
    if (S_ISLNK(st.st_mode)) what += " -> " + stdfs::read_symlink(it->path()).string();
    if (S_ISREG(st.st_mode)) what += " " + HexEncode(crypto::Sha256::Hash(AsBytes(ReadTestFile(it->path()))));
    out[it->path().lexically_relative(root).string()] = what;
  }
  return out;
}

void CopyTree(const std::string& from, const std::string& to) {
  std::string cmd = "cp -a '" + from + "' '" + to + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

class DeployCrashTest : public SysrootTest, public ::testing::WithParamInterface<Op> {
 protected:
  // The sysroot every run starts from: v1 (booted) and v2 deployed, v3
  // committed; for cleanup also garbage: an unreferenced deployment, a
  // staging leftover and unreferenced objects.
  void Prepare() {
    CommitVersion("1.0");
    boot::DeploymentId v1 = Must(DeployRev("os/stable")).deployment;
    booted_ = v1;
    CommitVersion("2.0");
    Must(DeployRev("os/stable"));
    CommitVersion("3.0", [](const std::string& t) { WriteTestFile(t + "/usr/lib/modules/6.1.0/vmlinuz", "k3\n"); });
    if (GetParam() == Op::kCleanup) {
      std::string deploy = root_ + "/ostree/deploy/testos/deploy/";
      CopyTree(Dir(v1), deploy + v1.commit + ".7");
      CopyTree(Dir(v1) + ".origin", deploy + v1.commit + ".7.origin");
      boot::DeploymentId garbage{kOs, v1.commit, 7};
      expected_[boot::DeploymentPath(garbage)] = Listing(Dir(garbage));
      stdfs::create_directories(deploy + ".stage-" + v1.commit + ".8/usr");
      CommitVersion("4.0", {}, "scratch");
      Must(repo::DeleteRef(sysroot_->store(), "scratch"));
    }
  }

  Status Run(const Sysroot& s) {
    switch (GetParam()) {
      case Op::kDeploy: {
        DeployOptions o;
        o.revision = "os/stable";
        o.booted = booted_;
        return Deploy(s, o).status();
      }
      case Op::kRollback: return Rollback(s, booted_, std::nullopt).status();
      case Op::kUndeploy: return Undeploy(s, 0, booted_).status();
      case Op::kCleanup: return Cleanup(s, booted_).status();
    }
    return Status::Ok();
  }

  std::vector<boot::DeploymentId> ListAt(const std::string& root) {
    auto s = Must(Sysroot::Open(*fs::DefaultFs(), root));
    BootConfig c = Must(ReadBootConfig(*s));
    return c.state ? c.state->deployments : std::vector<boot::DeploymentId>{};
  }

  void ExpectConsistent(const std::string& root, uint64_t i) {
    std::vector<boot::DeploymentId> list = ListAt(root);
    ASSERT_TRUE(list == old_list_ || list == new_list_) << "crash at " << i << ": " << list.size()
                                                         << " deployments, neither the old list nor the new one";
    for (size_t k = 0; k < list.size(); ++k) {
      std::string path = boot::DeploymentPath(list[k]);
      EXPECT_EQ(Listing(root + path), expected_.at(path)) << "crash at " << i << ": " << path << " incomplete";
      std::string entry = ReadTestFile(root + "/boot/loader/entries/larch-testos-" + std::to_string(k) + ".conf");
      EXPECT_NE(entry.find("larch=" + path + "\n"), std::string::npos) << "crash at " << i;
      std::string kernel = entry.substr(entry.find("linux ") + 6);
      EXPECT_TRUE(stdfs::exists(root + kernel.substr(0, kernel.find('\n')))) << "crash at " << i;
    }
    EXPECT_FALSE(stdfs::exists(root + "/boot/loader/entries/larch-testos-" + std::to_string(list.size()) + ".conf"));
    // A deployment's name, listed or not, only ever holds a complete tree.
    for (const auto& e : stdfs::directory_iterator(root + "/ostree/deploy/testos/deploy")) {
      std::optional<boot::DeploymentId> id = boot::ParseDeploymentName(kOs, e.path().filename().string());
      if (!id) continue;
      std::string path = boot::DeploymentPath(*id);
      ASSERT_TRUE(expected_.contains(path)) << "crash at " << i << ": unexpected " << path;
      EXPECT_EQ(Listing(root + path), expected_.at(path)) << "crash at " << i << ": " << path << " incomplete";
    }
    auto s = Must(Sysroot::Open(*fs::DefaultFs(), root));
    repo::FsckReport report = Must(repo::Fsck(s->store(), repo::FsckOptions{1}));
    EXPECT_TRUE(report.ok()) << "crash at " << i << ": " << report.problems[0];
  }

  std::vector<boot::DeploymentId> old_list_, new_list_;
  std::map<std::string, std::map<std::string, std::string>> expected_;  // deployment path -> listing
};

TEST_P(DeployCrashTest, EveryFilesystemStepLeavesTheOldOrTheNewConfiguration) {
  Prepare();
  old_list_ = List();
  for (const boot::DeploymentId& d : old_list_) expected_[boot::DeploymentPath(d)] = Listing(Dir(d));
  // An uninterrupted run on a copy: the new list, its trees, and how many
  // mutating calls the verb makes.
  std::string probe = dir_.Sub("probe");
  CopyTree(root_, probe);
  fs::FaultFs counter(&crash::Unsynced());
  {
    auto s = Must(Sysroot::Open(counter, probe));
    Must(Run(*s));
  }
  // The verb must really touch the disk; counted before sampling, which
  // under ASan keeps only every LARCH_CRASH_SAMPLE-th point.
  ASSERT_GT(counter.mutation_count(), 5u);
  std::vector<uint64_t> points = counter.CrashPointsToSweep();
  std::printf("%s: %zu of %llu mutating calls to sweep\n", OpName(GetParam()).c_str(), points.size(),
              static_cast<unsigned long long>(counter.mutation_count()));
  new_list_ = ListAt(probe);
  for (const boot::DeploymentId& d : new_list_) expected_[boot::DeploymentPath(d)] = Listing(probe + boot::DeploymentPath(d));
  for (uint64_t i : points) {
    std::string run = dir_.Sub("run-" + std::to_string(i));
    CopyTree(root_, run);
    {
      fs::FaultFs faulty(&crash::Unsynced());
      faulty.CrashAtMutation(i);
      auto s = Must(Sysroot::Open(faulty, run));
      (void)Run(*s);  // usually fails; a crash in the cleanup after the switch is invisible
      s.reset();
      Must(faulty.SimulatePowerLoss());
    }
    ExpectConsistent(run, i);
    // After the reboot the verb can be run again (and rollback and cleanup
    // may legitimately find nothing left to do).
    auto again = Must(Sysroot::Open(crash::Unsynced(), run));
    Status s = Run(*again);
    if (GetParam() == Op::kDeploy || GetParam() == Op::kCleanup) {
      EXPECT_TRUE(s.ok()) << "crash at " << i << ": " << s.ToString();
    }
    stdfs::remove_all(run);
    if (HasFailure()) break;
  }
}

INSTANTIATE_TEST_SUITE_P(Verbs, DeployCrashTest,
                         ::testing::Values(Op::kDeploy, Op::kRollback, Op::kUndeploy, Op::kCleanup),
                         [](const ::testing::TestParamInfo<Op>& p) { return OpName(p.param); });

}  // namespace
}  // namespace larch::deploy::testing
