// File: deploy/hawkbit/action_state.cc
#include "deploy/hawkbit/action_state.h"

#include "deploy/deploy_history.h"

namespace larch::hawkbit {

namespace {

constexpr std::string_view kPut = R"sql(
INSERT INTO hawkbit_actions (action_id, phase, os, refspec, commit_id, version, deployment, boot_mark,
                             result, detail, reported, updated)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT (action_id) DO UPDATE SET
  phase = excluded.phase, os = excluded.os, refspec = excluded.refspec, commit_id = excluded.commit_id,
  version = excluded.version, deployment = excluded.deployment, boot_mark = excluded.boot_mark,
  result = excluded.result, detail = excluded.detail, reported = excluded.reported, updated = excluded.updated)sql";

constexpr std::string_view kColumns =
    "action_id, phase, os, refspec, commit_id, version, deployment, boot_mark, result, detail, reported, updated";

Result<Phase> DecodePhase(const std::string& name) {
  if (name == "downloaded") return Phase::kDownloaded;
  if (name == "rebooting") return Phase::kRebooting;
  if (name == "finished") return Phase::kFinished;
  if (name == "canceled") return Phase::kCanceled;
  return Status::Corruption("hawkbit_actions: unknown phase '" + name + "'");
}

Result<ActionRecord> ReadRow(const sqlite::Statement& st) {
  ActionRecord r;
  r.action_id = st.ColumnText(0);
  LARCH_ASSIGN_OR_RETURN(r.phase, DecodePhase(st.ColumnText(1)));
  r.os = st.ColumnText(2);
  r.refspec = st.ColumnText(3);
  r.commit = st.ColumnText(4);
  r.version = st.ColumnText(5);
  r.deployment = st.ColumnText(6);
  r.boot_mark = st.ColumnInt64(7);
  r.result = st.ColumnText(8);
  r.detail = st.ColumnText(9);
  r.reported = st.ColumnInt64(10) != 0;
  r.updated = static_cast<uint64_t>(st.ColumnInt64(11));
  return r;
}

Result<std::vector<ActionRecord>> Query(sqlite::Database& db, const std::string& where, const std::string& arg) {
  LARCH_ASSIGN_OR_RETURN(sqlite::Statement st, db.Prepare("SELECT " + std::string(kColumns) +
                                                          " FROM hawkbit_actions WHERE " + where +
                                                          " ORDER BY updated, action_id"));
  if (!arg.empty()) LARCH_RETURN_IF_ERROR(st.Bind(1, arg));
  std::vector<ActionRecord> rows;
  while (true) {
    LARCH_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    LARCH_ASSIGN_OR_RETURN(ActionRecord r, ReadRow(st));
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace

std::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kDownloaded: return "downloaded";
    case Phase::kRebooting: return "rebooting";
    case Phase::kFinished: return "finished";
    case Phase::kCanceled: return "canceled";
  }
  return "finished";
}

Status PutAction(sqlite::Database& db, const ActionRecord& r) {
  LARCH_ASSIGN_OR_RETURN(sqlite::Statement st, db.Prepare(kPut));
  LARCH_RETURN_IF_ERROR(st.Bind(1, r.action_id));
  LARCH_RETURN_IF_ERROR(st.Bind(2, PhaseName(r.phase)));
  LARCH_RETURN_IF_ERROR(st.Bind(3, r.os));
  LARCH_RETURN_IF_ERROR(st.Bind(4, r.refspec));
  LARCH_RETURN_IF_ERROR(st.Bind(5, r.commit));
  LARCH_RETURN_IF_ERROR(st.Bind(6, r.version));
  LARCH_RETURN_IF_ERROR(st.Bind(7, r.deployment));
  LARCH_RETURN_IF_ERROR(st.Bind(8, r.boot_mark));
  LARCH_RETURN_IF_ERROR(st.Bind(9, r.result));
  LARCH_RETURN_IF_ERROR(st.Bind(10, r.detail));
  LARCH_RETURN_IF_ERROR(st.Bind(11, int64_t{r.reported ? 1 : 0}));
  LARCH_RETURN_IF_ERROR(st.Bind(12, deploy::TimeOrNow(r.updated)));
  return st.Step().status();
}

Result<std::optional<ActionRecord>> GetAction(sqlite::Database& db, const std::string& action_id) {
  LARCH_ASSIGN_OR_RETURN(auto rows, Query(db, "action_id = ?1", action_id));
  if (rows.empty()) return std::optional<ActionRecord>();
  return std::optional<ActionRecord>(std::move(rows.front()));
}

Result<std::vector<ActionRecord>> ActionsInPhase(sqlite::Database& db, Phase phase) {
  return Query(db, "phase = ?1", std::string(PhaseName(phase)));
}

Result<std::vector<ActionRecord>> UnreportedActions(sqlite::Database& db) {
  return Query(db, "phase = 'finished' AND reported = 0", "");
}

}  // namespace larch::hawkbit
