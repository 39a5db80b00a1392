// File: deploy/hook_history.cc
#include "deploy/hook_history.h"

#include "deploy/deploy_history.h"

namespace larch::deploy {

namespace {

constexpr std::string_view kPut = R"sql(
INSERT INTO hook_runs (time, stage, hook, deployment, exit_code, timed_out, millis, output)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))sql";

constexpr std::string_view kRead = R"sql(
SELECT id, time, stage, hook, deployment, exit_code, timed_out, millis, output FROM hook_runs
ORDER BY id DESC LIMIT ?1)sql";

}  // namespace

Status RecordHookRuns(sqlite::Database& db, const std::string& deployment, const std::vector<HookRun>& runs) {
  for (const HookRun& r : runs) {
    LARCH_ASSIGN_OR_RETURN(sqlite::Statement st, db.Prepare(kPut));
    LARCH_RETURN_IF_ERROR(st.Bind(1, TimeOrNow(0)));
    LARCH_RETURN_IF_ERROR(st.Bind(2, r.stage));
    LARCH_RETURN_IF_ERROR(st.Bind(3, r.hook));
    LARCH_RETURN_IF_ERROR(st.Bind(4, deployment));
    LARCH_RETURN_IF_ERROR(st.Bind(5, int64_t{r.exit_code}));
    LARCH_RETURN_IF_ERROR(st.Bind(6, int64_t{r.timed_out ? 1 : 0}));
    LARCH_RETURN_IF_ERROR(st.Bind(7, static_cast<int64_t>(r.millis)));
    LARCH_RETURN_IF_ERROR(st.Bind(8, r.output));
    LARCH_RETURN_IF_ERROR(st.Step().status());
  }
  return Status::Ok();
}

Result<std::optional<HookRun>> RunAndRecordHooks(sqlite::Database& db, const std::string& etc_dir,
                                                 const std::string& deployment, HookStage stage,
                                                 const HookContext& ctx, uint32_t timeout_seconds,
                                                 std::vector<HookRun>* all) {
  LARCH_ASSIGN_OR_RETURN(std::vector<HookRun> runs, RunHooks(etc_dir, stage, ctx, HookOptions{timeout_seconds}));
  LARCH_RETURN_IF_ERROR(RecordHookRuns(db, deployment, runs));
  if (all != nullptr) all->insert(all->end(), runs.begin(), runs.end());
  for (const HookRun& r : runs)
    if (!r.ok()) return std::optional<HookRun>(r);
  return std::optional<HookRun>();
}

Result<std::vector<HookRecord>> ReadHookRuns(sqlite::Database& db, size_t limit) {
  LARCH_ASSIGN_OR_RETURN(sqlite::Statement st, db.Prepare(kRead));
  LARCH_RETURN_IF_ERROR(st.Bind(1, static_cast<int64_t>(limit)));
  std::vector<HookRecord> out;
  while (true) {
    LARCH_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    HookRecord h;
    h.id = st.ColumnInt64(0);
    h.time = static_cast<uint64_t>(st.ColumnInt64(1));
    h.run.stage = st.ColumnText(2);
    h.run.hook = st.ColumnText(3);
    h.deployment = st.ColumnText(4);
    h.run.exit_code = static_cast<int>(st.ColumnInt64(5));
    h.run.timed_out = st.ColumnInt64(6) != 0;
    h.run.millis = static_cast<uint64_t>(st.ColumnInt64(7));
    h.run.output = st.ColumnText(8);
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace larch::deploy
