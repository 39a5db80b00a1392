// File: deploy/failed_releases.cc
#include "deploy/failed_releases.h"

#include "deploy/deploy_history.h"

namespace larch::deploy {

namespace {

constexpr std::string_view kPut = R"sql(
INSERT INTO failed_releases (os, commit_id, time, reason) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (os, commit_id) DO UPDATE SET time = excluded.time, reason = excluded.reason)sql";

constexpr std::string_view kGet = R"sql(
SELECT time, reason FROM failed_releases WHERE os = ?1 AND commit_id = ?2)sql";

}  // namespace

Status RecordFailedRelease(sqlite::Database& db, const FailedRelease& r) {
  LARCH_ASSIGN_OR_RETURN(sqlite::Statement st, db.Prepare(kPut));
  LARCH_RETURN_IF_ERROR(st.Bind(1, r.os));
  LARCH_RETURN_IF_ERROR(st.Bind(2, r.commit));
  LARCH_RETURN_IF_ERROR(st.Bind(3, TimeOrNow(r.time)));
  LARCH_RETURN_IF_ERROR(st.Bind(4, r.reason));
  return st.Step().status();
}

Result<std::optional<FailedRelease>> FindFailedRelease(sqlite::Database& db, const std::string& os,
                                                       const std::string& commit) {
  LARCH_ASSIGN_OR_RETURN(sqlite::Statement st, db.Prepare(kGet));
  LARCH_RETURN_IF_ERROR(st.Bind(1, os));
  LARCH_RETURN_IF_ERROR(st.Bind(2, commit));
  LARCH_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<FailedRelease>();
  return std::optional<FailedRelease>(
      FailedRelease{os, commit, static_cast<uint64_t>(st.ColumnInt64(0)), st.ColumnText(1)});
}

}  // namespace larch::deploy
