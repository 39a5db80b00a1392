// File: deploy/deployment_list_test.cc
#include "deploy/deployment_list.h"

#include <gtest/gtest.h>

namespace larch::deploy {
namespace {

boot::DeploymentId D(char c, uint32_t serial = 0) { return {"os", std::string(64, c), serial}; }

TEST(DeploymentList, RolesWithAPendingDeployment) {
  DeploymentList list{D('p'), D('b'), D('r')};
  Roles r = RolesOf(list, D('b'));
  EXPECT_EQ(r.booted, 1u);
  EXPECT_EQ(r.pending, 0u);
  EXPECT_EQ(r.rollback, 2u);
}

TEST(DeploymentList, RolesWithoutABootedDeployment) {
  Roles r = RolesOf({D('a'), D('b')}, std::nullopt);
  EXPECT_FALSE(r.booted);
  EXPECT_FALSE(r.pending);
  EXPECT_EQ(r.rollback, 1u);
}

TEST(DeploymentList, DeployDropsThePendingKeepsBootedAndRollback) {
  DeploymentList list{D('p'), D('b'), D('r'), D('x')};
  EXPECT_EQ(ListAfterDeploy(list, D('n'), D('b'), {}), (DeploymentList{D('n'), D('b'), D('r')}));
}

TEST(DeploymentList, DeployKeepsPinned) {
  DeploymentList list{D('p'), D('b'), D('r'), D('x')};
  std::set<std::string> pinned{boot::DeploymentPath(D('p')), boot::DeploymentPath(D('x'))};
  EXPECT_EQ(ListAfterDeploy(list, D('n'), D('b'), pinned), (DeploymentList{D('n'), D('b'), D('r'), D('p'), D('x')}));
}

TEST(DeploymentList, DeployWithoutBootedUsesTheDefault) {
  EXPECT_EQ(ListAfterDeploy({}, D('n'), std::nullopt, {}), DeploymentList{D('n')});
  EXPECT_EQ(ListAfterDeploy({D('a'), D('b'), D('c')}, D('n'), std::nullopt, {}),
            (DeploymentList{D('n'), D('a'), D('b')}));
}

TEST(DeploymentList, RollbackWithPendingReturnsToBooted) {
  EXPECT_EQ(*ListAfterRollback({D('p'), D('b'), D('r')}, D('b')), (DeploymentList{D('b'), D('p'), D('r')}));
}

TEST(DeploymentList, RollbackWithoutPendingGoesToTheRollback) {
  EXPECT_EQ(*ListAfterRollback({D('b'), D('r')}, D('b')), (DeploymentList{D('r'), D('b')}));
  EXPECT_EQ(*ListAfterRollback({D('a'), D('b')}, std::nullopt), (DeploymentList{D('b'), D('a')}));
  EXPECT_EQ(ListAfterRollback({D('b')}, D('b')).status().code(), StatusCode::kNotFound);
}

TEST(DeploymentList, SetDefaultAndUndeploy) {
  DeploymentList list{D('a'), D('b'), D('c')};
  EXPECT_EQ(*ListAfterSetDefault(list, 2), (DeploymentList{D('c'), D('a'), D('b')}));
  EXPECT_EQ(ListAfterSetDefault(list, 3).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*ListAfterUndeploy(list, 1, D('a')), (DeploymentList{D('a'), D('c')}));
  EXPECT_EQ(ListAfterUndeploy(list, 0, D('a')).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ListAfterUndeploy({D('a')}, 0, std::nullopt).status().code(), StatusCode::kInvalidArgument);
}

TEST(DeploymentList, NewDefaultGetsTriesSameDefaultKeepsItsState) {
  boot::BootState fell;
  fell.deployments = {D('a'), D('b')};
  fell.status = boot::BootStatus::kFellBack;
  fell.reason = "no good boot after 3 tries";
  boot::BootState same = StateForList(fell, {D('a'), D('b'), D('c')}, 3);
  EXPECT_EQ(same.status, boot::BootStatus::kFellBack);
  EXPECT_EQ(same.reason, fell.reason);
  boot::BootState fresh = StateForList(fell, {D('b'), D('a')}, 5);
  EXPECT_EQ(fresh.status, boot::BootStatus::kPending);
  EXPECT_EQ(fresh.tries_left, 5u);
  EXPECT_TRUE(fresh.reason.empty());
  boot::BootState alone = StateForList(fell, {D('a')}, 3);
  EXPECT_EQ(alone.status, boot::BootStatus::kPending);
  EXPECT_TRUE(boot::BootStateError(alone).empty());
}

}  // namespace
}  // namespace larch::deploy
