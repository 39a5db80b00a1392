// File: deploy/install_hooks.h
//
// Install hooks: how a product takes part in an update, the way Mender state
// scripts and RAUC hooks do. A deployment carries executables in
// /etc/larch/hooks.d/<stage>/; Larch runs those of a stage in name order and
// reports what each did. This file owns finding and running them (process
// group, time limit, captured output) and nothing else: which deployment's
// hooks run at which stage, and what a failure means (refuse, roll back,
// record), is the caller's decision.
//
// Hooks come from the deployment's /etc, so the new release decides what
// checks its own installation, and the operator can add a hook by putting a
// file in /etc (the /etc merge carries it into the next deployment).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "deploy/child_process.h"
#include "src/base/result.h"

namespace larch::deploy {

enum class HookStage { kCheck, kPreDeploy, kPostDeploy, kPreReboot, kBootOk, kFellBack };

// "check", "pre-deploy", "post-deploy", "pre-reboot", "boot-ok", "fell-back":
// the directory name under hooks.d/ and $LARCH_HOOK_STAGE.
std::string_view HookStageName(HookStage stage);

// What the hooks learn about the update, as their environment:
// LARCH_OS, LARCH_FROM_VERSION, LARCH_TO_VERSION, LARCH_FROM_COMMIT,
// LARCH_TO_COMMIT, LARCH_SYSROOT. "" when unknown (e.g. no previous default).
struct HookContext {
  std::string os;
  std::string from_version;
  std::string to_version;
  std::string from_commit;  // hex
  std::string to_commit;    // hex
  std::string sysroot;      // the sysroot path
};

// A hook keeps at most this much of its output; the rest is read and dropped,
// so a chatty hook neither blocks on a full pipe nor fills our memory.
inline constexpr size_t kMaxHookOutput = kMaxProgramOutput;

struct HookRun {
  std::string stage;  // HookStageName
  std::string hook;   // the executable's file name
  int exit_code = 0;  // exit status; 128+N when killed by signal N; 127: could not be started
  bool timed_out = false;
  uint32_t timeout_seconds = 0;  // the limit it ran under (for the failure's wording)
  // stdout and stderr interleaved, at most kMaxHookOutput bytes, then
  // "\n[... truncated]" when there was more. When the hook could not be
  // started: why.
  std::string output;
  uint64_t millis = 0;  // how long it ran
  bool ok() const { return exit_code == 0 && !timed_out; }
};

struct HookOptions {
  // Per hook. When it passes, the hook's process group gets SIGTERM, and
  // SIGKILL 2 s later if it is still there.
  uint32_t timeout_seconds = 60;
};

// Runs the hooks of `stage` from <etc_dir>/larch/hooks.d/<stage>/, where
// `etc_dir` is the deployment's etc directory (e.g.
// <sysroot>/ostree/deploy/<os>/deploy/<name>/etc).
//
// A hook is an executable regular file (or a symlink to one) whose name does
// not start with '.' and does not end with '~' (editor leftovers); they run
// in bytewise name order, one at a time, each in its own process group with
// stdin /dev/null, cwd "/", stdout and stderr into one captured pipe, and the
// caller's environment plus LARCH_HOOK_STAGE and the HookContext variables.
// Whatever a hook leaves running in its process group when it exits is
// killed: a hook must finish its work, not start services.
//
// Stops at the first hook that fails (non-zero exit, killed, timed out, could
// not be started); the runs so far, the failing one last, are returned. A
// missing hooks directory means no hooks. An error only when the directory
// exists but cannot be read.
Result<std::vector<HookRun>> RunHooks(const std::string& etc_dir, HookStage stage,
                                      const HookContext& ctx, const HookOptions& options);

// One line for a failed run, for a refusal message or the deploy history:
//   hook check/10-battery exited 1: battery at 12%, not updating
//   hook pre-deploy/20-slow did not finish within 60 s (stopped)
// (the first non-empty line of its output, trimmed, at most 200 bytes).
std::string DescribeHookFailure(const HookRun& run);

}  // namespace larch::deploy
