// File: deploy/hook_history.h
//
// Every install hook that ran (deploy/install_hooks.h): stage, hook,
// the deployment whose hooks.d it came from, exit status, whether it was
// stopped at its time limit, how long it ran, and its output (state
// database, schema step 5). `larch admin history` shows them beside the
// deployment changes they belonged to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "deploy/install_hooks.h"
#include "src/base/result.h"
#include "src/sqlite/database.h"

namespace larch::deploy {

struct HookRecord {
  int64_t id = 0;
  uint64_t time = 0;  // 0: now
  std::string deployment;  // <commit>.<serial>
  HookRun run;
};

Status RecordHookRuns(sqlite::Database& db, const std::string& deployment, const std::vector<HookRun>& runs);
// Runs `stage`'s hooks from `etc_dir` (RunHooks), records every run under
// `deployment`, and appends them to `all` (when not null); returns the run
// that failed, if one did (RunHooks stops there).
Result<std::optional<HookRun>> RunAndRecordHooks(sqlite::Database& db, const std::string& etc_dir,
                                                 const std::string& deployment, HookStage stage,
                                                 const HookContext& ctx, uint32_t timeout_seconds,
                                                 std::vector<HookRun>* all);

// Newest first.
Result<std::vector<HookRecord>> ReadHookRuns(sqlite::Database& db, size_t limit);

}  // namespace larch::deploy
