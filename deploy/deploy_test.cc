// File: deploy/deploy_test.cc
// Deploy end to end on a real sysroot in a temporary directory: what lands
// on disk, the boot configuration, the keep rule, and every refusal leaving
// the sysroot exactly as it was.
#include "deploy/deploy.h"

#include <sys/stat.h>

#include "deploy/admin_ops.h"
#include "deploy/bls_entry.h"
#include "deploy/boot_files.h"
#include "deploy/deploy_test_util.h"
#include "deploy/deployment_build.h"
#include "tests/support/fault_fs.h"

namespace larch::deploy::testing {
namespace {

struct stat Lstat(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

// The entries in one snapshot and not in the other, for failure messages.
std::string Diff(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::string out;
  for (const std::string& e : a)
    if (std::find(b.begin(), b.end(), e) == b.end()) out += "- " + e + "\n";
  for (const std::string& e : b)
    if (std::find(a.begin(), a.end(), e) == a.end()) out += "+ " + e + "\n";
  return out;
}

#define EXPECT_UNCHANGED(before, after) EXPECT_TRUE((before) == (after)) << Diff(before, after)

class DeployTest : public SysrootTest {
 protected:
  // Where the entries of deployment `id` find its kernel: /boot/larch/<os>-<bootcsum>.
  std::string BootDir(const boot::DeploymentId& id) {
    repo::Commit commit = Must(sysroot_->store().ReadCommit(Must(ObjectId::FromHex(id.commit))));
    return "/boot/larch/" + Must(FindKernel(sysroot_->store(), commit)).BootDirName(kOs);
  }

  // larch.conf set to `config`, then 1.0 and 2.0 deployed in turn.
  std::pair<boot::DeploymentId, boot::DeploymentId> TwoVersionsWith(const std::string& config) {
    WriteTestFile(root_ + "/ostree/larch.conf", config);
    CommitVersion("1.0");
    boot::DeploymentId v1 = Must(DeployRev("os/stable")).deployment;
    CommitVersion("2.0");
    return {v1, Must(DeployRev("os/stable")).deployment};
  }

  // Every entry of the sysroot except the state database.
  std::vector<std::string> Snapshot() {
    std::vector<std::string> all = SnapshotTree(root_), out;
    for (const std::string& e : all)
      if (e.find("state.db") == std::string::npos) out.push_back(e);
    return out;
  }
};

TEST_F(DeployTest, FirstDeploymentLaysOutTreeEtcOriginBootFilesAndEntries) {
  ObjectId v1 = CommitVersion("1.0");
  DeployResult r = Must(DeployRev("os/stable"));
  EXPECT_EQ(r.deployment, (boot::DeploymentId{kOs, v1.Hex(), 0}));
  EXPECT_FALSE(r.merged_from);
  std::string d = Dir(r.deployment);
  // /usr: hard links into the store; /etc defaults moved to usr/etc.
  EXPECT_EQ(Lstat(d + "/usr/bin/tool").st_ino,
            Lstat(ObjectPath(sysroot_->store(), FileKeyAt(sysroot_->store(), v1, "/usr/bin/tool"))).st_ino);
  EXPECT_EQ(ReadTestFile(d + "/usr/etc/os-release"), "VERSION=1.0\n");
  // etc: a real copy, its own inodes, the symlink kept as a symlink.
  EXPECT_EQ(ReadTestFile(d + "/etc/os-release"), "VERSION=1.0\n");
  EXPECT_NE(Lstat(d + "/etc/os-release").st_ino, Lstat(d + "/usr/etc/os-release").st_ino);
  EXPECT_EQ(Lstat(d + "/etc/os-release").st_nlink, 1u);
  EXPECT_EQ(stdfs::read_symlink(d + "/etc/localtime"), "/usr/share/zoneinfo/UTC");
  EXPECT_EQ(ReadTestFile(d + ".origin"), "format=larch-origin-1\nremote=\nref=os/stable\npinned=0\n");
  EXPECT_TRUE(Must(repo::ReadRef(sysroot_->store(), DeploymentRefName(r.deployment))).has_value());
  // Boot configuration: loader.1 in force, one entry, boot files by content.
  EXPECT_EQ(stdfs::read_symlink(root_ + "/boot/loader"), "loader.1");
  BootConfig c = Config();
  ASSERT_TRUE(c.state);
  EXPECT_EQ(c.state->deployments, std::vector{r.deployment});
  EXPECT_EQ(c.state->tries_left, 3u);
  EXPECT_EQ(c.state->status, boot::BootStatus::kPending);
  std::string entry = ReadTestFile(root_ + "/boot/loader/entries/larch-testos-0.conf");
  EXPECT_NE(entry.find("options larch=" + boot::DeploymentPath(r.deployment) + "\n"), std::string::npos) << entry;
  std::string kernel = entry.substr(entry.find("linux ") + 6);
  kernel = kernel.substr(0, kernel.find('\n'));
  EXPECT_EQ(ReadTestFile(root_ + kernel), "kernel 6.1.0\n");
  EXPECT_EQ(stdfs::read_symlink(root_ + "/ostree/boot"), "../boot/loader");
}

TEST_F(DeployTest, SecondDeploymentSharesUnchangedFilesAndFallsBackToTheFirst) {
  CommitVersion("1.0");
  DeployResult first = Must(DeployRev("os/stable"));
  CommitVersion("2.0");
  DeployResult second = Must(DeployRev("os/stable"));
  EXPECT_EQ(second.merged_from, first.deployment);
  EXPECT_EQ(List(), (std::vector{second.deployment, first.deployment}));
  EXPECT_EQ(Lstat(Dir(first.deployment) + "/usr/bin/same").st_ino, Lstat(Dir(second.deployment) + "/usr/bin/same").st_ino);
  EXPECT_NE(Lstat(Dir(first.deployment) + "/usr/bin/tool").st_ino, Lstat(Dir(second.deployment) + "/usr/bin/tool").st_ino);
  // Same kernel content: one boot directory for both.
  EXPECT_EQ(ListNames(root_ + "/boot/larch").size(), 1u);
  std::string uenv_absent = root_ + "/boot/loader/uEnv.txt";
  EXPECT_FALSE(stdfs::exists(uenv_absent));
  EXPECT_TRUE(stdfs::exists(root_ + "/boot/loader/entries/larch-testos-1.conf"));
}

TEST_F(DeployTest, UBootGetsAUEnvInTheSameSwitch) {
  auto [v1, v2] = TwoVersionsWith("bootloader=uboot\nkernel-args=root=/dev/mmcblk0p2 rw\n");
  EXPECT_EQ(stdfs::read_symlink(root_ + "/boot/uEnv.txt"), "loader/uEnv.txt");
  std::string uenv = ReadTestFile(root_ + "/boot/uEnv.txt");
  std::string dir = BootDir(v2);
  // The new default is pending with boot-tries=3: U-Boot gives it one boot more.
  EXPECT_EQ(uenv, "larch_default=" + boot::DeploymentName(v2) + "\nlarch_tries=4\n" + "kernel_image=" + dir + "/vmlinuz-6.1.0\nramdisk_image=" + dir + "/initramfs-6.1.0.img\n" +
                      "bootargs=root=/dev/mmcblk0p2 rw larch=" + boot::DeploymentPath(v2) + "\n" +
                      "kernel_image2=" + dir + "/vmlinuz-6.1.0\nramdisk_image2=" + dir + "/initramfs-6.1.0.img\n" +
                      "bootargs2=root=/dev/mmcblk0p2 rw larch=" + boot::DeploymentPath(v1) + "\n");
  EXPECT_NE(ReadTestFile(root_ + "/boot/loader/entries/larch-testos-1.conf").find("options root=/dev/mmcblk0p2 rw larch="),
            std::string::npos);
}

TEST_F(DeployTest, GrubWithoutBlscfgGetsAGrubCfgInTheSameSwitch) {
  auto [v1, v2] = TwoVersionsWith("bootloader=grub\nkernel-args=root=/dev/vda2 rw quiet\n");
  std::string dir = BootDir(v2);
  std::string cfg = ReadTestFile(root_ + "/boot/loader/grub.cfg");
  auto entry = [&](const std::string& version, const boot::DeploymentId& id, int index) {
    return "menuentry 'testos " + version + " (" + id.commit.substr(0, 12) + ".0)' --id 'larch-testos-" +
           std::to_string(index) + "' {\n  linux '" + dir + "/vmlinuz-6.1.0' 'root=/dev/vda2' 'rw' 'quiet' 'larch=" +
           boot::DeploymentPath(id) + "'\n  initrd '" + dir + "/initramfs-6.1.0.img'\n}\n";
  };
  EXPECT_EQ(cfg, "# Written by larch admin; replaced whole on every change.\nset default=0\n" + entry("2.0", v2, 0) +
                     entry("1.0", v1, 1));
  // GRUB's own parser accepts it, when grub-common is installed.
  if (stdfs::exists("/usr/bin/grub-script-check")) {
    EXPECT_EQ(std::system(("grub-script-check '" + root_ + "/boot/loader/grub.cfg'").c_str()), 0);
  }
  EXPECT_FALSE(stdfs::exists(root_ + "/boot/loader/uEnv.txt"));
}

TEST(GrubConfigTest, QuotesWhatGrubWouldInterpret) {
  BootEntry e;
  e.id = {"os", std::string(64, 'a'), 0};
  e.version = "it's 1.0";
  e.kernel = "/vmlinuz";
  e.options = "init=/bin/sh$x a;b  larch=/p";
  EXPECT_EQ(RenderGrubConfig({e}),
            "# Written by larch admin; replaced whole on every change.\nset default=0\n"
            "menuentry 'os it'\\''s 1.0 (aaaaaaaaaaaa.0)' --id 'larch-os-0' {\n"
            "  linux '/vmlinuz' 'init=/bin/sh$x' 'a;b' 'larch=/p'\n}\n");
}

TEST_F(DeployTest, KeepsTheNewTheBootedAndOneRollbackUnlessPinned) {
  CommitVersion("1.0");
  boot::DeploymentId v1 = Must(DeployRev("os/stable")).deployment;
  CommitVersion("2.0");
  boot::DeploymentId v2 = Must(DeployRev("os/stable")).deployment;
  booted_ = v2;  // rebooted into v2; v1 is the rollback
  CommitVersion("3.0");
  boot::DeploymentId v3 = Must(DeployRev("os/stable")).deployment;
  EXPECT_EQ(List(), (std::vector{v3, v2, v1}));
  // v4 replaces the pending v3 (never booted); booted v2 and rollback v1 stay.
  CommitVersion("4.0");
  DeployResult r4 = Must(DeployRev("os/stable"));
  EXPECT_EQ(List(), (std::vector{r4.deployment, v2, v1}));
  EXPECT_EQ(r4.removed, std::vector{v3});
  EXPECT_FALSE(stdfs::exists(Dir(v3)));
  EXPECT_FALSE(stdfs::exists(Dir(v3) + ".origin"));
  EXPECT_FALSE(Must(repo::ReadRef(sysroot_->store(), DeploymentRefName(v3))).has_value());
  // A pinned deployment survives what would drop it.
  Must(SetPinned(*sysroot_, 0, true));
  CommitVersion("5.0");
  DeployResult r5 = Must(DeployRev("os/stable"));
  EXPECT_EQ(List(), (std::vector{r5.deployment, v2, v1, r4.deployment}));
}

TEST_F(DeployTest, ADeploymentOfTheSameCommitGetsTheNextSerial) {
  ObjectId v1 = CommitVersion("1.0");
  Must(DeployRev("os/stable"));
  DeployResult again = Must(DeployRev(v1.Hex()));
  EXPECT_EQ(again.deployment.serial, 1u);
  EXPECT_EQ(again.origin.Refspec(), "os/stable");  // inherited for a commit id
}

TEST_F(DeployTest, CommitNotInTheStoreIsRefusedAndNothingChanges) {
  CommitVersion("1.0");
  Must(DeployRev("os/stable"));
  auto before = Snapshot();
  std::string missing(64, 'e');
  EXPECT_TRUE(FailsWith(DeployRev(missing), StatusCode::kNotFound, "commit " + missing + " is not in the store"));
  EXPECT_TRUE(FailsWith(DeployRev("no/such/ref"), StatusCode::kNotFound, "no ref or commit named \"no/such/ref\""));
  EXPECT_UNCHANGED(before, Snapshot());
}

// A commit in the store whose file object is gone: the store is corrupt
// (exit 4), and the message names the object's file for fsck and a person.
TEST_F(DeployTest, MissingFileObjectIsCorruptionNamingTheObject) {
  ObjectId v1 = CommitVersion("1.0");
  const std::string object = ObjectPath(sysroot_->store(), FileKeyAt(sysroot_->store(), v1, "/usr/bin/tool"));
  ASSERT_EQ(::unlink(object.c_str()), 0) << object;
  EXPECT_TRUE(FailsWith(DeployRev("os/stable"), StatusCode::kCorruption, "missing object " + object));
}

TEST_F(DeployTest, UnsignedCommitFromARemoteRequiringSignaturesIsRefused) {
  MakeRemote();
  Pulled(CommitVersion("1.0"));
  Must(DeployRev("origin:os/stable"));
  Pulled(CommitVersion("2.0"), /*sign=*/false);
  auto before = Snapshot();
  EXPECT_TRUE(FailsWith(DeployRev("origin:os/stable"), StatusCode::kVerifyFailed, "signature threshold rule"));
  EXPECT_UNCHANGED(before, Snapshot());
  // Deploying the unsigned commit by id inherits the origin: refused too.
  EXPECT_TRUE(FailsWith(DeployRev(Must(repo::ResolveRevision(sysroot_->store(), "origin:os/stable")).Hex()),
                        StatusCode::kVerifyFailed, "signature threshold rule"));
  EXPECT_UNCHANGED(before, Snapshot());
}

TEST_F(DeployTest, CommitForAnotherCompatibleIsRefused) {
  MakeRemote({"board-b"});
  Pulled(CommitVersion("1.0"));
  auto before = Snapshot();
  EXPECT_TRUE(FailsWith(DeployRev("origin:os/stable"), StatusCode::kVerifyFailed,
                        "compatibility rule: it is built for board-a; this device is board-b"));
  EXPECT_UNCHANGED(before, Snapshot());
}

TEST_F(DeployTest, OlderVersionNeedsAllowDowngrade) {
  MakeRemote();
  ObjectId v1 = CommitVersion("1.0");
  Pulled(v1);
  Must(DeployRev("origin:os/stable"));
  Pulled(CommitVersion("2.0"));
  Must(DeployRev("origin:os/stable"));
  auto before = Snapshot();
  EXPECT_TRUE(FailsWith(DeployRev(v1.Hex()), StatusCode::kVerifyFailed,
                        "version rule: version 1.0 is older than 2.0, installed from this ref; --allow-downgrade overrides"));
  EXPECT_UNCHANGED(before, Snapshot());
  DeployResult r = Must(DeployRev(v1.Hex(), /*allow_downgrade=*/true));
  EXPECT_EQ(r.deployment.commit, v1.Hex());
  EXPECT_EQ(r.origin.Refspec(), "origin:os/stable");
}

TEST_F(DeployTest, CorruptBootStateIsNamedAndNothingChanges) {
  CommitVersion("1.0");
  Must(DeployRev("os/stable"));
  std::string file = root_ + "/boot/loader.1/boot-state";
  std::string text = ReadTestFile(file);
  WriteTestFile(file, text.substr(0, text.find("tries-left")) + "tries-left=lots\n");
  auto before = Snapshot();
  CommitVersion("2.0");
  auto after_commit = Snapshot();
  EXPECT_TRUE(FailsWith(DeployRev("os/stable"), StatusCode::kCorruption,
                        "boot-state file " + sysroot_->path() + "/boot/loader.1/boot-state is corrupt: line 4"));
  EXPECT_UNCHANGED(after_commit, Snapshot());
  (void)before;
}

TEST_F(DeployTest, BothEtcAndUsrEtcIsRefused) {
  CommitVersion("1.0", [](const std::string& t) {
    stdfs::create_directories(t + "/usr/etc");
    WriteTestFile(t + "/usr/etc/x", "x\n");
  });
  auto before = Snapshot();
  EXPECT_TRUE(FailsWith(DeployRev("os/stable"), StatusCode::kUnsupported, "has both /etc and /usr/etc"));
  EXPECT_UNCHANGED(before, Snapshot());
}

TEST_F(DeployTest, CommitWithUsrEtcIsDeployedAsIs) {
  CommitVersion("1.0", [](const std::string& t) { stdfs::rename(t + "/etc", t + "/usr/etc"); });
  DeployResult r = Must(DeployRev("os/stable"));
  EXPECT_EQ(ReadTestFile(Dir(r.deployment) + "/etc/hostname"), "device\n");
  EXPECT_EQ(ReadTestFile(Dir(r.deployment) + "/usr/etc/hostname"), "device\n");
}

TEST_F(DeployTest, CommitWithoutKernelIsRefused) {
  CommitVersion("1.0", [](const std::string& t) { stdfs::remove_all(t + "/usr/lib/modules"); });
  auto before = Snapshot();
  EXPECT_TRUE(FailsWith(DeployRev("os/stable"), StatusCode::kUnsupported, "the commit has no kernel"));
  EXPECT_UNCHANGED(before, Snapshot());
}

TEST_F(DeployTest, MinFreeSpaceGuardRefusesBeforeWritingAnything) {
  CommitVersion("1.0");
  WriteTestFile(root_ + "/ostree/larch.conf", "min-free-space=99%\n");
  auto before = Snapshot();
  EXPECT_TRUE(FailsWith(DeployRev("os/stable"), StatusCode::kNoSpace, "min-free-space (ostree/larch.conf) keeps"));
  EXPECT_UNCHANGED(before, Snapshot());
}

// A full disk at any write of a deploy: kNoSpace, and the sysroot exactly
// as before (what was staged is removed again).
TEST_F(DeployTest, FullDiskAtAnyWriteLeavesTheSysrootUnchanged) {
  CommitVersion("1.0");
  Must(DeployRev("os/stable"));
  CommitVersion("2.0");
  auto before = Snapshot();
  BootConfig config_before = Config();
  fs::FaultFs counter(fs::DefaultFs());
  {
    auto probe_root = dir_.Sub("probe");
    stdfs::create_directories(probe_root);
    std::system(("cp -a '" + root_ + "/.' '" + probe_root + "'").c_str());
    auto probe = Must(Sysroot::Open(counter, probe_root));
    DeployOptions o;
    o.revision = "os/stable";
    Must(Deploy(*probe, o));
  }
  uint64_t total = counter.mutation_count();
  ASSERT_GT(total, 20u);
  // Every write up to the switch of the boot configuration.
  for (uint64_t n = 1; n <= total; n += std::max<uint64_t>(1, total / 40)) {
    fs::FaultFs faulty(fs::DefaultFs());
    faulty.FailMutation(n, ENOSPC);
    auto sysroot = Must(Sysroot::Open(faulty, root_));
    DeployOptions o;
    o.revision = "os/stable";
    Result<DeployResult> r = Deploy(*sysroot, o);
    if (r.ok()) break;  // the failed write was after the switch (cleanup)
    EXPECT_EQ(r.status().code(), StatusCode::kNoSpace) << "write " << n << ": " << r.status().ToString();
    EXPECT_UNCHANGED(before, Snapshot()) << "write " << n;
    EXPECT_EQ(Config().state, config_before.state) << "write " << n;
  }
}

}  // namespace
}  // namespace larch::deploy::testing
