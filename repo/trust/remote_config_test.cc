// File: repo/trust/remote_config_test.cc
// The remote's .conf decoder at the limits of its one number, threshold.
#include "repo/trust/remote_config.h"

#include <gtest/gtest.h>

#include "repo/repo_test_util.h"

namespace larch::trust {
namespace {

using repo::testing::FailsWith;

std::string WithThreshold(const std::string& threshold) {
  return "url=https://updates.example/os\nkeyring=/etc/larch/keys\nthreshold=" + threshold + "\n";
}

TEST(RemoteConfig, ThresholdFromOneToTheSignaturesACommitCarries) {
  EXPECT_EQ(DecodeRemoteConfig("origin", WithThreshold("1"))->threshold, 1u);
  EXPECT_EQ(DecodeRemoteConfig("origin", WithThreshold("64"))->threshold, 64u);
  EXPECT_TRUE(FailsWith(DecodeRemoteConfig("origin", WithThreshold("0")), StatusCode::kInvalidArgument,
                        "threshold must be at least 1"));
  EXPECT_TRUE(FailsWith(DecodeRemoteConfig("origin", WithThreshold("65")), StatusCode::kInvalidArgument,
                        "threshold '65' is too large (at most 64)"));
  for (const char* big : {"4294967296", "4294967297", "18446744073709551615", "18446744073709551616"})
    EXPECT_TRUE(FailsWith(DecodeRemoteConfig("origin", WithThreshold(big)), StatusCode::kInvalidArgument,
                          "threshold '" + std::string(big) + "' is too large (at most 64)"));
  for (const char* bad : {"", "-1", "+1", "0x2", "2 ", "two"})
    EXPECT_TRUE(FailsWith(DecodeRemoteConfig("origin", WithThreshold(bad)), StatusCode::kInvalidArgument,
                          "threshold expects a whole number like 0, 3 or 20, got '" + std::string(bad) + "'"));
}

TEST(RemoteConfig, ValidateRefusesAThresholdNoCommitCanMeet) {
  RemoteConfig c{"origin", "https://updates.example/os", "/etc/larch/keys", 65, {}, "", "", ""};
  EXPECT_FALSE(ValidateRemoteConfig(c).ok());
  c.threshold = 64;
  EXPECT_TRUE(ValidateRemoteConfig(c).ok());
}

}  // namespace
}  // namespace larch::trust
