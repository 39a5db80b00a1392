// File: tools/larch/admin_cli.h
// What the `larch admin` verbs share: the options every verb takes
// (--sysroot, --cmdline), opening the sysroot, finding the booted
// deployment, and printing results as text or JSON.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "deploy/admin_ops.h"
#include "deploy/cleanup.h"
#include "deploy/deploy.h"
#include "deploy/deploy_history.h"
#include "deploy/hook_history.h"
#include "deploy/status.h"
#include "deploy/sysroot.h"
#include "deploy/upgrade.h"

namespace larch::cli {

struct AdminArgs {
  std::string sysroot;  // empty: "/", or "/sysroot" inside a booted deployment
  std::string cmdline;  // file with the kernel command line; default $LARCH_CMDLINE or /proc/cmdline
  bool json = false;
  bool quiet = false;  // deploy, upgrade: no progress
};

// --sysroot and --cmdline on `app`.
void AddAdminOptions(CLI::App* app, AdminArgs& args);

Result<std::unique_ptr<deploy::Sysroot>> OpenSysroot(const AdminArgs& args);
// From --cmdline or $LARCH_CMDLINE; else, when the sysroot is /, the
// deployment that / is (deploy/booted.h); else none.
Result<std::optional<boot::DeploymentId>> BootedDeployment(const deploy::Sysroot& sysroot, const AdminArgs& args);

void PrintDeployResult(const deploy::DeployResult& r, bool json);
void PrintUpgradeResult(const deploy::UpgradeResult& r, bool json);
void PrintChange(const char* verb, const deploy::ChangeResult& r, bool json);
void PrintStatus(const deploy::Sysroot& sysroot, const deploy::SysrootStatus& s, bool json);
void PrintHistory(const std::vector<deploy::DeployEvent>& events, const std::vector<deploy::BootOutcome>& boots,
                  const std::vector<deploy::HookRecord>& hooks, bool json);

}  // namespace larch::cli
