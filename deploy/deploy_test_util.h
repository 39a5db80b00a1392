// File: deploy/deploy_test_util.h
// A sysroot in a temporary directory for the deploy tests (test-only): small
// OS trees with a kernel, commits in the sysroot's bare store, signing keys
// and a remote whose commits look pulled (remote ref, trust state row).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "deploy/boot_config.h"
#include "deploy/deploy.h"
#include "deploy/sysroot.h"
#include "repo/refs.h"
#include "repo/repo_test_util.h"
#include "repo/trust/commit_signing.h"
#include "repo/trust/remote_config.h"
#include "src/crypto/ed25519.h"

namespace larch::deploy::testing {

using namespace ::larch::repo::testing;
using repo::ObjectId;
namespace stdfs = std::filesystem;

inline constexpr char kOs[] = "testos";

// A small root filesystem: a kernel pair, /usr content and a plain /etc.
inline void MakeOsTree(const std::string& root, const std::string& version) {
  for (const char* d : {"/usr/bin", "/usr/lib/modules/6.1.0", "/etc/ssh", "/etc/default", "/var/lib", "/boot"})
    stdfs::create_directories(root + d);
  WriteTestFile(root + "/usr/lib/modules/6.1.0/vmlinuz", "kernel 6.1.0\n");
  WriteTestFile(root + "/usr/lib/modules/6.1.0/initramfs.img", "initramfs 6.1.0\n");
  WriteTestFile(root + "/usr/bin/tool", "#!/bin/sh\necho " + version + "\n", 0755);
  WriteTestFile(root + "/usr/bin/same", "same in every version\n", 0755);
  WriteTestFile(root + "/etc/os-release", "VERSION=" + version + "\n");
  WriteTestFile(root + "/etc/hostname", "device\n");
  WriteTestFile(root + "/etc/ssh/sshd_config", "PermitRootLogin no\n");
  WriteTestFile(root + "/etc/default/grub", "GRUB_TIMEOUT=5\n");
  stdfs::create_symlink("/usr/share/zoneinfo/UTC", root + "/etc/localtime");
  WriteTestFile(root + "/var/lib/state", "from the image\n");
}

class SysrootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "a sysroot's bare store needs root";
    stdfs::create_directories(root_);
    Must(Sysroot::InitFs(*fs::DefaultFs(), root_));
    sysroot_ = Must(Sysroot::Open(*fs::DefaultFs(), root_));
    Must(sysroot_->OsInit(kOs));
  }

  // Commits MakeOsTree(version), changed by `edit`, to `branch`.
  ObjectId CommitVersion(const std::string& version, const std::function<void(const std::string&)>& edit = {},
                         const std::string& branch = "os/stable", const std::string& compatible = "board-a") {
    std::string tree = dir_.Sub("tree-" + std::to_string(++trees_));
    MakeOsTree(tree, version);
    if (edit) edit(tree);
    repo::CommitOptions o = TestCommitOptions(branch);
    o.timestamp = kTestTimestamp + trees_;
    o.metadata["version"] = version;
    o.metadata["ref-binding"] = "os/stable";
    if (!compatible.empty()) o.metadata["compatible"] = compatible;
    return Must(repo::CommitTree(sysroot_->store(), tree, o)).commit;
  }

  // A remote "origin" whose keyring holds key 0; `id` signed by it and
  // recorded as pulled from origin:os/stable.
  void MakeRemote(const std::vector<std::string>& compatible = {"board-a"}) {
    if (key_.size() == 0) {
      key_.push_back(Must(crypto::Ed25519PrivateKey::Generate()));
      stdfs::create_directories(dir_.Sub("keyring"));
      WriteTestFile(dir_.Sub("keyring/k0.pub"), key_[0].public_key().ToPem());
    }
    trust::RemoteConfig r;
    r.name = "origin";
    r.url = "file://" + dir_.Sub("server");
    r.keyring = dir_.Sub("keyring");
    r.compatible = compatible;
    Must(trust::WriteRemote(sysroot_->store(), r, true));
  }
  void Pulled(const ObjectId& id, bool sign = true) {
    if (sign) Must(trust::SignCommit(sysroot_->store(), id, key_[0]));
    Must(repo::WriteRef(sysroot_->store(), "origin:os/stable", id));
    auto state = Must(sysroot_->OpenState());
    repo::Commit c = Must(sysroot_->store().ReadCommit(id));
    trust::TrustState::Update u;
    u.SetRef("origin", "os/stable", trust::RefTrust{c.metadata["version"], id, c.timestamp, 0});
    Must(state->Apply(u));
  }

  Result<DeployResult> DeployRev(const std::string& revision, bool allow_downgrade = false) {
    DeployOptions o;
    o.revision = revision;
    o.allow_downgrade = allow_downgrade;
    o.booted = booted_;
    return Deploy(*sysroot_, o);
  }

  BootConfig Config() { return Must(ReadBootConfig(*sysroot_)); }
  std::vector<boot::DeploymentId> List() {
    BootConfig c = Config();
    return c.state ? c.state->deployments : std::vector<boot::DeploymentId>{};
  }
  std::string Dir(const boot::DeploymentId& id) { return root_ + boot::DeploymentPath(id); }

  TempDir dir_;
  std::string root_ = dir_.Sub("sysroot");
  std::unique_ptr<Sysroot> sysroot_;
  std::optional<boot::DeploymentId> booted_;
  std::vector<crypto::Ed25519PrivateKey> key_;
  int trees_ = 0;
};

}  // namespace larch::deploy::testing
