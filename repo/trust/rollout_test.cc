// File: repo/trust/rollout_test.cc
// Staged rollouts and recalls as a fleet sees them: 10,000 device ids
// against one signed summary staged at 1%, 10%, 50% and 100%.
#include "repo/trust/rollout.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace larch::trust {
namespace {

repo::ObjectId Id(uint8_t seed) { return repo::ObjectId::HashOf(Bytes{seed}); }

repo::Summary Staged(const repo::ObjectId& head, uint32_t bp, bool halted = false) {
  repo::Summary s;
  s.serial = 1;
  s.timestamp = 1000;
  s.expires = 2000;
  s.store_mode = "archive";
  s.refs = {{"os/stable", head, 500, "2.0", 999}};
  if (bp < kFullRollout || halted) s.rollouts = {{"os/stable", head, bp, halted}};
  // Through the codec: what a device decides on is what it decoded.
  auto decoded = repo::DecodeSummary(repo::EncodeSummary(s));
  EXPECT_TRUE(decoded.ok()) << decoded.status().message();
  return *decoded;
}

std::set<int> Eligible(const repo::Summary& s, const std::string& fleet_tag) {
  std::set<int> out;
  const repo::SummaryRef& head = s.refs[0];
  for (int i = 0; i < 10000; ++i) {
    RolloutContext c{fleet_tag + std::to_string(i), Id(200), false};  // every device runs an older release
    if (DecideOffer(s, head, c).offer == Offer::kHead) out.insert(i);
  }
  return out;
}

// The binomial 99.9% interval of n trials at p: mean ± 3.29 sigma.
void ExpectWithinBinomial(size_t count, double p) {
  const double n = 10000, mean = n * p, sigma = std::sqrt(n * p * (1 - p));
  EXPECT_GE(static_cast<double>(count), mean - 3.29 * sigma) << "share " << p;
  EXPECT_LE(static_cast<double>(count), mean + 3.29 * sigma) << "share " << p;
}

TEST(Rollout, FleetOfTenThousandFollowsTheStagedShare) {
  const repo::ObjectId release = Id(1);
  std::set<int> previous;
  for (uint32_t bp : {100u, 1000u, 5000u, 10000u}) {
    std::set<int> now = Eligible(Staged(release, bp), "machine-");
    if (bp == kFullRollout) {
      EXPECT_EQ(now.size(), 10000u);
    } else {
      ExpectWithinBinomial(now.size(), bp / 10000.0);
    }
    for (int d : previous) EXPECT_TRUE(now.count(d)) << "device " << d << " left the rollout at " << bp;
    previous = now;
  }
}

TEST(Rollout, WavesDifferBetweenReleases) {
  std::set<int> a = Eligible(Staged(Id(1), 1000), "machine-");
  std::set<int> b = Eligible(Staged(Id(2), 1000), "machine-");
  size_t both = 0;
  for (int d : a) both += b.count(d);
  // Independent 10% waves share about 1% of the fleet, not 10%.
  EXPECT_LT(both, 250u);
  EXPECT_GT(both, 20u);
}

TEST(Rollout, HaltStopsNewInstallsAndIgnoreOverrides) {
  const repo::Summary halted = Staged(Id(1), 5000, true);
  EXPECT_TRUE(Eligible(halted, "machine-").empty());
  RolloutContext person{"machine-1", Id(200), true};
  EXPECT_EQ(DecideOffer(halted, halted.refs[0], person).offer, Offer::kHead);
  RolloutContext device{"machine-1", Id(200), false};
  const OfferDecision d = DecideOffer(halted, halted.refs[0], device);
  EXPECT_EQ(d.offer, Offer::kHalted);
  EXPECT_NE(d.reason.find("halted at 50%"), std::string::npos) << d.reason;
}

TEST(Rollout, NotYetSaysTheShare) {
  const repo::Summary s = Staged(Id(1), 1000);
  for (int i = 0;; ++i) {
    RolloutContext c{"m" + std::to_string(i), Id(200), false};
    const OfferDecision d = DecideOffer(s, s.refs[0], c);
    if (d.offer != Offer::kNotYet) continue;
    EXPECT_NE(d.reason.find("not yet for this device (staged at 10%)"), std::string::npos) << d.reason;
    break;
  }
}

TEST(Rollout, RecallOnlyMovesDevicesOnTheRecalledRelease) {
  repo::Summary s = Staged(Id(1), kFullRollout);
  s.recalls = {{"os/stable", Id(1), repo::SummaryRef{"os/stable", Id(0), 400, "1.0", 900}}};
  RolloutContext on_recalled{"m1", Id(1), false};
  const OfferDecision back = DecideOffer(s, s.refs[0], on_recalled);
  EXPECT_EQ(back.offer, Offer::kRecallTarget);
  ASSERT_NE(back.entry, nullptr);
  EXPECT_EQ(back.entry->commit, Id(0));
  RolloutContext on_older{"m2", Id(0), false};
  EXPECT_EQ(DecideOffer(s, s.refs[0], on_older).offer, Offer::kRecalled);
  RolloutContext ignoring{"m2", Id(0), true};  // a recall is not a rollout: not overridden
  EXPECT_EQ(DecideOffer(s, s.refs[0], ignoring).offer, Offer::kRecalled);
}

TEST(Rollout, SharesParseAndPrint) {
  EXPECT_EQ(*ParseShare("10"), 1000u);
  EXPECT_EQ(*ParseShare("10%"), 1000u);
  EXPECT_EQ(*ParseShare("0.01"), 1u);
  EXPECT_EQ(*ParseShare("12.5"), 1250u);
  EXPECT_EQ(*ParseShare("100"), 10000u);
  for (const char* bad : {"", "%", "101", "1.234", "-1", "1.", ".5", "10%%", "1e2", "abc"})
    EXPECT_FALSE(ParseShare(bad).ok()) << bad;
  EXPECT_EQ(FormatShare(1000), "10%");
  EXPECT_EQ(FormatShare(1250), "12.5%");
  EXPECT_EQ(FormatShare(1), "0.01%");
  EXPECT_EQ(FormatShare(10000), "100%");
}

TEST(Rollout, BucketIsStableAndSpread) {
  EXPECT_EQ(RolloutBucket("a", Id(1)), RolloutBucket("a", Id(1)));
  EXPECT_LT(RolloutBucket("a", Id(1)), kFullRollout);
  std::set<uint32_t> buckets;
  for (int i = 0; i < 1000; ++i) buckets.insert(RolloutBucket("d" + std::to_string(i), Id(1)));
  EXPECT_GT(buckets.size(), 900u);
}

}  // namespace
}  // namespace larch::trust
