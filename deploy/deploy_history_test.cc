// File: deploy/deploy_history_test.cc
// The deployment tables of the state database (schema step 2).
#include "deploy/deploy_history.h"

#include "repo/repo_test_util.h"
#include "repo/trust/trust_state.h"

namespace larch::deploy {
namespace {

using repo::testing::FailsWith;
using repo::testing::Must;
using repo::testing::TempDir;

TEST(DeployHistory, RecordsNewestFirstAndRefusesMalformedNames) {
  TempDir dir;
  auto state = Must(trust::TrustState::Open(dir.Sub("state.db")));
  sqlite::Database& db = state->database();
  EXPECT_EQ(Must(db.UserVersion()), 5);
  DeployEvent e;
  e.time = 1700000000;
  e.user = "root";
  e.action = "deploy";
  e.os = "debian";
  e.to_deployment = std::string(64, 'a') + ".0";
  e.to_version = "1.0";
  e.origin = "origin:os/stable";
  e.outcome = "ok";
  Must(RecordDeployEvent(db, e));
  DeployEvent later = e;
  later.action = "rollback";
  later.from_deployment = e.to_deployment;
  later.to_deployment = std::string(64, 'b') + ".12";
  Must(RecordDeployEvent(db, later));
  std::vector<DeployEvent> events = Must(ReadDeployHistory(db, 10));
  ASSERT_EQ(events.size(), 2u);
  later.id = events[0].id;
  e.id = events[1].id;
  EXPECT_EQ(events[0], later);
  EXPECT_EQ(events[1], e);
  EXPECT_GT(events[0].id, events[1].id);
  DeployEvent bad = e;
  bad.to_deployment = "../../etc";
  EXPECT_TRUE(FailsWith(RecordDeployEvent(db, bad), StatusCode::kInvalidArgument, "deploy_history_to_name"));
  bad = e;
  bad.outcome = "maybe";
  EXPECT_TRUE(FailsWith(RecordDeployEvent(db, bad), StatusCode::kInvalidArgument, "deploy_history_outcome"));
}

TEST(DeployHistory, BootOutcomes) {
  TempDir dir;
  auto state = Must(trust::TrustState::Open(dir.Sub("state.db")));
  BootOutcome o{0, 1700000000, "/ostree/deploy/debian/deploy/" + std::string(64, 'a') + ".0", "fell-back", "3 tries"};
  Must(RecordBootOutcome(state->database(), o));
  std::vector<BootOutcome> read = Must(ReadBootOutcomes(state->database(), 5));
  ASSERT_EQ(read.size(), 1u);
  o.id = read[0].id;
  EXPECT_EQ(read[0], o);
  o.outcome = "bad";
  EXPECT_TRUE(FailsWith(RecordBootOutcome(state->database(), o), StatusCode::kInvalidArgument, "boot_outcomes_outcome"));
}

}  // namespace
}  // namespace larch::deploy
