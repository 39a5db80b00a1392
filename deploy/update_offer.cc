// File: deploy/update_offer.cc
#include "deploy/update_offer.h"

#include "deploy/deploy_history.h"

namespace larch::deploy {

namespace {

constexpr std::string_view kPut = R"sql(
INSERT INTO update_offers (os, refspec, commit_id, version, state, reason, time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT (os) DO UPDATE SET refspec = excluded.refspec, commit_id = excluded.commit_id,
  version = excluded.version, state = excluded.state, reason = excluded.reason, time = excluded.time)sql";

constexpr std::string_view kGet = R"sql(
SELECT refspec, commit_id, version, state, reason, time FROM update_offers WHERE os = ?1)sql";

}  // namespace

Status PutUpdateOffer(sqlite::Database& db, const UpdateOffer& o) {
  LARCH_ASSIGN_OR_RETURN(sqlite::Statement st, db.Prepare(kPut));
  LARCH_RETURN_IF_ERROR(st.Bind(1, o.os));
  LARCH_RETURN_IF_ERROR(st.Bind(2, o.refspec));
  LARCH_RETURN_IF_ERROR(st.Bind(3, o.commit));
  LARCH_RETURN_IF_ERROR(st.Bind(4, o.version));
  LARCH_RETURN_IF_ERROR(st.Bind(5, o.state));
  LARCH_RETURN_IF_ERROR(st.Bind(6, o.reason));
  LARCH_RETURN_IF_ERROR(st.Bind(7, TimeOrNow(o.time)));
  return st.Step().status();
}

Result<std::optional<UpdateOffer>> GetUpdateOffer(sqlite::Database& db, const std::string& os) {
  LARCH_ASSIGN_OR_RETURN(sqlite::Statement st, db.Prepare(kGet));
  LARCH_RETURN_IF_ERROR(st.Bind(1, os));
  LARCH_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<UpdateOffer>();
  return std::optional<UpdateOffer>(UpdateOffer{os, st.ColumnText(0), st.ColumnText(1), st.ColumnText(2),
                                                st.ColumnText(3), st.ColumnText(4),
                                                static_cast<uint64_t>(st.ColumnInt64(5))});
}

Status ClearUpdateOffer(sqlite::Database& db, const std::string& os) {
  LARCH_ASSIGN_OR_RETURN(sqlite::Statement st, db.Prepare("DELETE FROM update_offers WHERE os = ?1"));
  LARCH_RETURN_IF_ERROR(st.Bind(1, os));
  return st.Step().status();
}

}  // namespace larch::deploy
