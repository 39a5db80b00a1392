// File: deploy/hawkbit/action_state_test.cc
#include "deploy/hawkbit/action_state.h"

#include <gtest/gtest.h>

#include "repo/repo_test_util.h"
#include "repo/trust/trust_state.h"

namespace larch::hawkbit {
namespace {

using repo::testing::Must;
using repo::testing::TempDir;

TEST(ActionState, SurvivesReopenAndMovesThroughPhases) {
  TempDir dir;
  ActionRecord r;
  r.action_id = "17";
  r.phase = Phase::kRebooting;
  r.os = "debian";
  r.refspec = "origin:os/stable";
  r.commit = std::string(64, 'c');
  r.version = "2.0";
  r.deployment = std::string(64, 'c') + ".0";
  r.boot_mark = 4;
  r.updated = 1700000000;
  {
    auto state = Must(trust::TrustState::Open(dir.Sub("state.db")));
    Must(PutAction(state->database(), r));
  }
  auto state = Must(trust::TrustState::Open(dir.Sub("state.db")));
  sqlite::Database& db = state->database();
  EXPECT_EQ(Must(GetAction(db, "17")), r);
  EXPECT_FALSE(Must(GetAction(db, "18")).has_value());
  EXPECT_EQ(Must(ActionsInPhase(db, Phase::kRebooting)).size(), 1u);
  EXPECT_TRUE(Must(UnreportedActions(db)).empty());
  r.phase = Phase::kFinished;
  r.result = "failure";
  r.detail = "fell back";
  Must(PutAction(db, r));
  EXPECT_TRUE(Must(ActionsInPhase(db, Phase::kRebooting)).empty());
  ASSERT_EQ(Must(UnreportedActions(db)).size(), 1u);
  r.reported = true;
  Must(PutAction(db, r));
  EXPECT_TRUE(Must(UnreportedActions(db)).empty());
}

TEST(ActionState, SchemaRefusesMalformedRows) {
  TempDir dir;
  auto state = Must(trust::TrustState::Open(dir.Sub("state.db")));
  ActionRecord r;
  r.action_id = "1";
  r.commit = "XYZ";
  EXPECT_FALSE(PutAction(state->database(), r).ok());
  r.commit = "";
  r.result = "maybe";
  EXPECT_FALSE(PutAction(state->database(), r).ok());
  r.result = "";
  r.action_id = "";
  EXPECT_FALSE(PutAction(state->database(), r).ok());
}

}  // namespace
}  // namespace larch::hawkbit
