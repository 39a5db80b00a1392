// File: initramfs/test_util.h
// Shared fixtures of the initramfs unit tests: deployment ids and fake
// sysroot trees on disk.
#pragma once

#include <sys/stat.h>

#include <string>

#include "src/bootstate/boot_state.h"
#include "tests/support/temp_dir.h"

namespace larch::initramfs::testing {

inline boot::DeploymentId Dep(char hex, uint32_t serial = 0, const std::string& os = "debian") {
  return boot::DeploymentId{os, std::string(64, hex), serial};
}

inline boot::BootState State(std::vector<boot::DeploymentId> deps, uint32_t tries,
                             boot::BootStatus status = boot::BootStatus::kPending, std::string reason = "") {
  boot::BootState s;
  s.deployments = std::move(deps);
  s.tries_left = tries;
  s.status = status;
  s.reason = std::move(reason);
  return s;
}

inline void MkdirP(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i)
    if (i == path.size() || path[i] == '/') mkdir(path.substr(0, i).c_str(), 0755);
}

// A deployment tree that passes CheckBootable: usr/ and an executable
// /sbin/init (through a usr-merge symlink sbin -> usr/sbin).
inline void MakeBootable(const std::string& sysroot, const boot::DeploymentId& id) {
  std::string root = sysroot + boot::DeploymentPath(id);
  MkdirP(root + "/usr/sbin");
  symlink("usr/sbin", (root + "/sbin").c_str());
  larch::testing::WriteTestFile(root + "/usr/sbin/init", "#!/bin/sh\n", 0755);
  MkdirP(sysroot + "/ostree/deploy/" + id.os + "/var");
}

}  // namespace larch::initramfs::testing
