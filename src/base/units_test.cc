// ParseSize, ParseDuration and ParseCount at their limits: the largest value that
// fits, the first that does not, and the mistakes people make.
#include "src/base/units.h"

#include <gtest/gtest.h>

namespace larch {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

TEST(ParseSize, PlainBytesAndBinaryUnits) {
  EXPECT_EQ(*ParseSize("0"), 0u);
  EXPECT_EQ(*ParseSize("4096"), 4096u);
  EXPECT_EQ(*ParseSize("500k"), 500u * 1024);
  EXPECT_EQ(*ParseSize("500K"), 500u * 1024);
  EXPECT_EQ(*ParseSize("1M"), 1u << 20);
  EXPECT_EQ(*ParseSize("1m"), 1u << 20);
  EXPECT_EQ(*ParseSize("2G"), 2ull << 30);
  EXPECT_EQ(*ParseSize("3T"), 3ull << 40);
  EXPECT_EQ(*ParseSize("007"), 7u);
}

TEST(ParseSize, LimitsOfSixtyFourBits) {
  EXPECT_EQ(*ParseSize("18446744073709551615"), kMax);
  EXPECT_EQ(*ParseSize("16777215T"), 16777215ull << 40);  // the largest whole T
  EXPECT_EQ(*ParseSize("17179869183G"), 17179869183ull << 30);
  for (const char* big : {"18446744073709551616", "99999999999999999999999", "16777216T", "17179869184G",
                          "17592186044416M", "18014398509481984k"}) {
    Result<uint64_t> r = ParseSize(big);
    ASSERT_FALSE(r.ok()) << big;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << big;
    EXPECT_EQ(r.status().message(), "'" + std::string(big) + "' is too large (at most 18446744073709551615 bytes)");
  }
}

TEST(ParseSize, ACallersMaximum) {
  EXPECT_EQ(*ParseSize("1024", 1024), 1024u);
  EXPECT_EQ(*ParseSize("1k", 1024), 1024u);
  EXPECT_EQ(ParseSize("1025", 1024).status().message(), "'1025' is too large (at most 1024 bytes)");
  EXPECT_FALSE(ParseSize("2k", 1024).ok());
}

TEST(ParseSize, RefusesWhatIsNotASize) {
  for (const char* bad : {"", "k", "M", "-1", "+1", " 1", "1 ", "1.5M", "1MB", "1KiB", "1P", "1x", "0x10", "1e6",
                          "1MM", "M1", "١"}) {
    Result<uint64_t> r = ParseSize(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.status().message(),
              "expects a size in bytes like 4096, 500k, 1M or 2G, got '" + std::string(bad) + "'");
  }
}

TEST(ParseDuration, UnitsAndLimits) {
  EXPECT_EQ(*ParseDuration("3600"), 3600u);
  EXPECT_EQ(*ParseDuration("45s"), 45u);
  EXPECT_EQ(*ParseDuration("90m"), 5400u);
  EXPECT_EQ(*ParseDuration("12h"), 43200u);
  EXPECT_EQ(*ParseDuration("7d"), 604800u);
  EXPECT_EQ(*ParseDuration("213503982334601d"), 213503982334601ull * 86400);
  EXPECT_EQ(ParseDuration("213503982334602d").status().message(),
            "'213503982334602d' is too large (at most 18446744073709551615 seconds)");
  for (const char* bad : {"", "d", "7w", "-7d", "1.5h", "7 d"})
    EXPECT_EQ(ParseDuration(bad).status().message(),
              "expects a duration like 3600, 90m, 12h or 7d, got '" + std::string(bad) + "'")
        << bad;
}

TEST(ParseDuration, LimitsOfSixtyFourBits) {
  EXPECT_EQ(*ParseDuration("18446744073709551615"), kMax);
  EXPECT_EQ(*ParseDuration("18446744073709551615s"), kMax);
  EXPECT_EQ(*ParseDuration("307445734561825860m"), 307445734561825860ull * 60);
  EXPECT_EQ(*ParseDuration("5124095576030431h"), 5124095576030431ull * 3600);
  for (const char* big : {"18446744073709551616", "18446744073709551616s", "307445734561825861m",
                          "5124095576030432h", "99999999999999999999d", "99999999999999999999999999999999d"}) {
    Result<uint64_t> r = ParseDuration(big);
    ASSERT_FALSE(r.ok()) << big;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << big;
    EXPECT_EQ(r.status().message(), "'" + std::string(big) + "' is too large (at most 18446744073709551615 seconds)");
  }
}

TEST(ParseDuration, ACallersMaximum) {
  constexpr uint64_t kYear = 366ull * 86400;
  EXPECT_EQ(*ParseDuration("366d", kYear), kYear);
  EXPECT_EQ(ParseDuration("367d", kYear).status().message(), "'367d' is too large (at most 31622400 seconds)");
  EXPECT_FALSE(ParseDuration("31622401", kYear).ok());
  EXPECT_FALSE(ParseDuration("8785h", kYear).ok());
}

TEST(ParseDuration, RefusesSignsAndSpaces) {
  for (const char* bad : {"+7d", "-0", " 7d", "7d ", "7dd", "0x10", "1e3", "7D1"})
    EXPECT_EQ(ParseDuration(bad).status().message(),
              "expects a duration like 3600, 90m, 12h or 7d, got '" + std::string(bad) + "'")
        << bad;
}

TEST(ParseCount, DigitsOnlyUpToTheMaximum) {
  EXPECT_EQ(*ParseCount("0"), 0u);
  EXPECT_EQ(*ParseCount("20"), 20u);
  EXPECT_EQ(*ParseCount("010"), 10u);  // decimal, never octal
  EXPECT_EQ(*ParseCount("18446744073709551615"), kMax);
  EXPECT_EQ(ParseCount("18446744073709551616").status().message(),
            "'18446744073709551616' is too large (at most 18446744073709551615)");
  EXPECT_EQ(*ParseCount("4294967295", 4294967295u), 4294967295u);
  EXPECT_EQ(ParseCount("4294967296", 4294967295u).status().message(),
            "'4294967296' is too large (at most 4294967295)");
  EXPECT_EQ(ParseCount("65", 64).status().message(), "'65' is too large (at most 64)");
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "0x10", "1k", "1s", "1.0", "1e3", "-18446744073709551615"}) {
    Result<uint64_t> r = ParseCount(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.status().message(), "expects a whole number like 0, 3 or 20, got '" + std::string(bad) + "'") << bad;
  }
}

}  // namespace
}  // namespace larch
