// File: deploy/sysroot_repair.h
//
// `larch admin fsck [--repair]`: checks the sysroot's store (repo/fsck.h)
// and, when asked, repairs the file objects it found damaged that the
// deployments use: each is fetched again from the remote (only those
// objects; repo/pull/repair.h), replaces the damaged one in the store, and
// every deployment path that hard-linked the damaged inode is relinked to
// the good one (a link beside it, renamed over it). Then the store is
// checked again. Runs under the sysroot's lock; the boot configuration is
// not touched.
#pragma once

#include <string>
#include <vector>

#include "deploy/sysroot.h"
#include "repo/fsck.h"
#include "repo/pull/repair.h"

namespace larch::deploy {

struct SysrootFsckOptions {
  bool repair = false;
  std::string remote;  // "": the remote of the default deployment's origin
  pull::FetchOptions fetch;
};

struct SysrootFsckResult {
  repo::FsckReport before;
  bool repaired = false;  // a repair ran (then `after` holds the second check)
  std::string remote;
  pull::RepairResult fetched;
  std::vector<std::string> relinked;      // deployment paths now linked to the good object
  std::vector<std::string> unrepairable;  // damaged objects a repair cannot fetch, and why
  repo::FsckReport after;
  const repo::FsckReport& final_report() const { return repaired ? after : before; }
};

Result<SysrootFsckResult> FsckSysroot(const Sysroot& sysroot, const SysrootFsckOptions& options);

}  // namespace larch::deploy
