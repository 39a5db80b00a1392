// File: deploy/deploy_history.cc
#include "deploy/deploy_history.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace larch::deploy {

namespace {

constexpr std::string_view kPutEvent = R"sql(
INSERT INTO deploy_history (time, user, action, os, from_deployment, to_deployment,
                            from_version, to_version, origin, outcome, detail)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11))sql";

constexpr std::string_view kGetEvents = R"sql(
SELECT id, time, user, action, os, from_deployment, to_deployment,
       from_version, to_version, origin, outcome, detail
FROM deploy_history ORDER BY id DESC LIMIT ?1)sql";

constexpr std::string_view kPutOutcome = R"sql(
INSERT INTO boot_outcomes (time, deployment, outcome, detail) VALUES (?1, ?2, ?3, ?4))sql";

constexpr std::string_view kGetOutcomes = R"sql(
SELECT id, time, deployment, outcome, detail FROM boot_outcomes ORDER BY id DESC LIMIT ?1)sql";

// Who acted, for the history: the effective user's login name, or the
// number when the user database does not know it.
std::string EffectiveUser() {
  std::vector<char> buf(16384);
  passwd pw;
  passwd* found = nullptr;
  uid_t uid = ::geteuid();
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) return pw.pw_name;
  return std::to_string(uid);
}

int64_t Limit(size_t limit) { return static_cast<int64_t>(std::min<uint64_t>(limit, INT64_MAX)); }

}  // namespace

int64_t TimeOrNow(uint64_t time) {
  if (time != 0) return static_cast<int64_t>(std::min<uint64_t>(time, INT64_MAX));
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::seconds>(now).count();
}

Status RecordDeployEvent(sqlite::Database& db, const DeployEvent& e) {
  LARCH_ASSIGN_OR_RETURN(sqlite::Statement st, db.Prepare(kPutEvent));
  LARCH_RETURN_IF_ERROR(st.Bind(1, TimeOrNow(e.time)));
  LARCH_RETURN_IF_ERROR(st.Bind(2, e.user.empty() ? EffectiveUser() : e.user));
  const std::string* text[] = {&e.action, &e.os, &e.from_deployment, &e.to_deployment, &e.from_version,
                               &e.to_version, &e.origin, &e.outcome, &e.detail};
  for (int i = 0; i < 9; ++i) LARCH_RETURN_IF_ERROR(st.Bind(3 + i, *text[i]));
  return st.Step().status();
}

Result<std::vector<DeployEvent>> ReadDeployHistory(sqlite::Database& db, size_t limit) {
  LARCH_ASSIGN_OR_RETURN(sqlite::Statement st, db.Prepare(kGetEvents));
  LARCH_RETURN_IF_ERROR(st.Bind(1, Limit(limit)));
  std::vector<DeployEvent> out;
  for (;;) {
    LARCH_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return out;
    DeployEvent& e = out.emplace_back();
    e.id = st.ColumnInt64(0);
    e.time = static_cast<uint64_t>(st.ColumnInt64(1));
    std::string* text[] = {&e.user, &e.action, &e.os, &e.from_deployment, &e.to_deployment,
                           &e.from_version, &e.to_version, &e.origin, &e.outcome, &e.detail};
    for (int i = 0; i < 10; ++i) *text[i] = st.ColumnText(2 + i);
  }
}

Status RecordBootOutcome(sqlite::Database& db, const BootOutcome& o) {
  LARCH_ASSIGN_OR_RETURN(sqlite::Statement st, db.Prepare(kPutOutcome));
  LARCH_RETURN_IF_ERROR(st.Bind(1, TimeOrNow(o.time)));
  LARCH_RETURN_IF_ERROR(st.Bind(2, o.deployment));
  LARCH_RETURN_IF_ERROR(st.Bind(3, o.outcome));
  LARCH_RETURN_IF_ERROR(st.Bind(4, o.detail));
  return st.Step().status();
}

Result<std::vector<BootOutcome>> ReadBootOutcomes(sqlite::Database& db, size_t limit) {
  LARCH_ASSIGN_OR_RETURN(sqlite::Statement st, db.Prepare(kGetOutcomes));
  LARCH_RETURN_IF_ERROR(st.Bind(1, Limit(limit)));
  std::vector<BootOutcome> out;
  for (;;) {
    LARCH_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return out;
    out.push_back({st.ColumnInt64(0), static_cast<uint64_t>(st.ColumnInt64(1)), st.ColumnText(2),
                   st.ColumnText(3), st.ColumnText(4)});
  }
}

}  // namespace larch::deploy
