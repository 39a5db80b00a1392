// File: repo/trust/version_compare_test.cc
#include "repo/trust/version_compare.h"

#include <gtest/gtest.h>

namespace larch::trust {
namespace {

TEST(CompareVersions, OrdersLikeDpkg) {
  const char* ascending[] = {"1~rc1", "1", "1.0.1", "1.2", "1.9", "1.10", "1.10a", "1.10+b1", "2", "10"};
  for (size_t i = 0; i < std::size(ascending); ++i) {
    EXPECT_EQ(CompareVersions(ascending[i], ascending[i]), 0) << ascending[i];
    for (size_t j = i + 1; j < std::size(ascending); ++j) {
      EXPECT_LT(CompareVersions(ascending[i], ascending[j]), 0) << ascending[i] << " < " << ascending[j];
      EXPECT_GT(CompareVersions(ascending[j], ascending[i]), 0) << ascending[j] << " > " << ascending[i];
    }
  }
}

TEST(CompareVersions, LeadingZerosAndHugeNumbers) {
  EXPECT_EQ(CompareVersions("1.00", "1.0"), 0);
  EXPECT_LT(CompareVersions("2026.1", "99999999999999999999999.0"), 0);
  EXPECT_GT(CompareVersions("1.0.0", "1.0"), 0);
  EXPECT_LT(CompareVersions("", "0.1"), 0);
}

}  // namespace
}  // namespace larch::trust
