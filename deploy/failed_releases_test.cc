// File: deploy/failed_releases_test.cc
#include "deploy/failed_releases.h"

#include "repo/repo_test_util.h"
#include "repo/trust/trust_state.h"

namespace larch::deploy {
namespace {

using repo::testing::Must;
using repo::testing::TempDir;

TEST(FailedReleases, RecordedFoundRefreshedAndCheckedBySchema) {
  TempDir dir;
  auto state = Must(trust::TrustState::Open(dir.Sub("state.db")));
  sqlite::Database& db = state->database();
  const std::string a(64, 'a'), b(64, 'b');
  EXPECT_FALSE(Must(FindFailedRelease(db, "debian", a)).has_value());
  Must(RecordFailedRelease(db, {"debian", a, 1700000000, "not marked good"}));
  EXPECT_EQ(Must(FindFailedRelease(db, "debian", a)), (FailedRelease{"debian", a, 1700000000, "not marked good"}));
  // Per OS: the same commit under another OS did not fail.
  EXPECT_FALSE(Must(FindFailedRelease(db, "other", a)).has_value());
  EXPECT_FALSE(Must(FindFailedRelease(db, "debian", b)).has_value());
  // Failing again refreshes the record.
  Must(RecordFailedRelease(db, {"debian", a, 1700000100, "init died"}));
  EXPECT_EQ(Must(FindFailedRelease(db, "debian", a))->reason, "init died");
  EXPECT_EQ(Must(FindFailedRelease(db, "debian", a))->time, 1700000100u);
  // The schema refuses what is not a commit id or names no OS.
  EXPECT_FALSE(RecordFailedRelease(db, {"debian", "abc", 1, ""}).ok());
  EXPECT_FALSE(RecordFailedRelease(db, {"debian", std::string(64, 'G'), 1, ""}).ok());
  EXPECT_FALSE(RecordFailedRelease(db, {"", a, 1, ""}).ok());
}

}  // namespace
}  // namespace larch::deploy
