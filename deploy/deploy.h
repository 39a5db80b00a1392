// File: deploy/deploy.h
//
// Deploy: make a commit the next boot's default (docs/deploy.md, "Life
// cycle"). In order, under the sysroot's lock:
//   1. read the boot configuration in force (a corrupt one stops here);
//   2. resolve the revision and its origin; verify it (deploy_source.h);
//   3. find its kernel; check free space against min-free-space;
//   4. build the deployment directory (deployment_build.h), merging /etc
//      from the booted deployment (else the OS's current default);
//   5. switch the boot configuration to the new list (boot_config.h): the
//      new deployment first with N boot tries, then the booted one (the
//      fallback), one rollback and the pinned ones;
//   6. remove what the new configuration dropped (deployment_gc.h);
//   7. record the outcome in the state database (deploy_history.h).
// A failure before 5 leaves the sysroot as it was; a crash at any point
// leaves the old configuration or the new one, each naming only complete
// deployments (tests/crash/deploy_crash_test.cc).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "deploy/origin.h"
#include "deploy/sysroot.h"
#include "src/base/progress.h"
#include "src/bootstate/boot_state.h"

namespace larch::deploy {

struct DeployOptions {
  std::string os;        // empty: the sysroot's only OS
  std::string revision;  // "remote:ref", a local ref, or a commit id
  bool allow_downgrade = false;
  std::optional<uint32_t> tries;  // boots before falling back; default larch.conf boot-tries
  std::optional<boot::DeploymentId> booted;
  std::string action = "deploy";  // as recorded in the history ("upgrade" for upgrades)
  ProgressFn progress = nullptr;  // the new deployment's checkout (repo/checkout.h)
};

struct DeployResult {
  boot::DeploymentId deployment;
  std::string version;
  Origin origin;
  std::optional<boot::DeploymentId> merged_from;
  std::vector<std::string> etc_conflicts;
  std::vector<boot::DeploymentId> removed;
  std::string cleanup_error;  // the deploy stands; removing old ones failed (cleanup retries)
};

Result<DeployResult> Deploy(const Sysroot& sysroot, const DeployOptions& options);

// The OS named, or the only one in the sysroot (kInvalidArgument when there
// are several, kNotFound when there is none).
Result<std::string> ChooseOs(const Sysroot& sysroot, const std::string& os);

}  // namespace larch::deploy
