#include "tools/larch/progress_format.h"

#include <gtest/gtest.h>

namespace larch::cli {
namespace {

TEST(HumanBytes, ThreeSignificantDigitsInSiUnits) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(999), "999 B");
  EXPECT_EQ(HumanBytes(1000), "1.00 kB");
  EXPECT_EQ(HumanBytes(12345), "12.3 kB");
  EXPECT_EQ(HumanBytes(126'000'000), "126 MB");
  EXPECT_EQ(HumanBytes(1'500'000'000), "1.50 GB");
}

TEST(HumanBytes, NeverShowsAThousandOfAUnit) {
  EXPECT_EQ(HumanBytes(999'999), "1.00 MB");
  EXPECT_EQ(HumanBytes(999'499), "999 kB");
}

TEST(HumanRate, BytesPerSecond) {
  EXPECT_EQ(HumanRate(0), "0 B/s");
  EXPECT_EQ(HumanRate(-5), "0 B/s");
  EXPECT_EQ(HumanRate(12.3e6), "12.3 MB/s");
}

TEST(HumanDuration, SecondsMinutesHours) {
  EXPECT_EQ(HumanDuration(std::nullopt), "--");
  EXPECT_EQ(HumanDuration(0), "0s");
  EXPECT_EQ(HumanDuration(7.4), "7s");
  EXPECT_EQ(HumanDuration(65), "1m05s");
  EXPECT_EQ(HumanDuration(2 * 3600 + 3 * 60 + 10), "2h03m");
  EXPECT_EQ(HumanDuration(1e7), ">99h");
}

TEST(EtaSeconds, NeedsATotalAndARate) {
  EXPECT_EQ(EtaSeconds(50, 0, 10), std::nullopt);
  EXPECT_EQ(EtaSeconds(50, 100, 0), std::nullopt);
  EXPECT_DOUBLE_EQ(*EtaSeconds(50, 100, 10), 5.0);
  EXPECT_DOUBLE_EQ(*EtaSeconds(120, 100, 10), 0.0);
}

ProgressView Half() { return {"download", 63'000'000, 126'000'000, 12.6e6}; }

TEST(FitLine, WideTerminalShowsEverything) {
  const std::string line = FitLine(Half(), 120);
  EXPECT_EQ(line, "download  50% [####################....................] 63.0 MB / 126 MB  12.6 MB/s  5s left");
  EXPECT_LT(line.size(), 120u);
}

TEST(FitLine, BarShrinksThenGoesThenTimeLeftThenRate) {
  for (int width = 2; width <= 120; ++width) {
    const std::string line = FitLine(Half(), width);
    EXPECT_LE(line.size(), static_cast<size_t>(width - 1)) << width;
  }
  EXPECT_EQ(FitLine(Half(), 64), "download  50% [#####.....] 63.0 MB / 126 MB  12.6 MB/s  5s left");
  EXPECT_EQ(FitLine(Half(), 63), "download  50% 63.0 MB / 126 MB  12.6 MB/s  5s left");
  EXPECT_EQ(FitLine(Half(), 51), "download  50% 63.0 MB / 126 MB  12.6 MB/s  5s left");
  EXPECT_EQ(FitLine(Half(), 50), "download  50% 63.0 MB / 126 MB  12.6 MB/s");
  EXPECT_EQ(FitLine(Half(), 42), "download  50% 63.0 MB / 126 MB  12.6 MB/s");
  EXPECT_EQ(FitLine(Half(), 41), "download  50% 63.0 MB / 126 MB");
  EXPECT_EQ(FitLine(Half(), 11), "download  ");
}

TEST(FitLine, UnknownTotalHasNoPercentNoBarNoEta) {
  EXPECT_EQ(FitLine({"metadata", 12345, 0, 1000}, 80), "metadata 12.3 kB  1.00 kB/s");
}

TEST(FitLine, UnknownRateHasNoRateNoEta) {
  EXPECT_EQ(FitLine({"commit", 500, 1000, 0}, 30), "commit  50% 500 B / 1.00 kB");
}

TEST(PlainLine, NoBarAndNoControlCharacters) {
  EXPECT_EQ(PlainLine(Half()), "download: 50% (63.0 MB of 126 MB, 12.6 MB/s, 5s left)");
  EXPECT_EQ(PlainLine({"metadata", 12345, 0, 0}), "metadata: (12.3 kB)");
  EXPECT_EQ(PlainLine({"metadata", 12345, 0, 1000}), "metadata: (12.3 kB, 1.00 kB/s)");
}

TEST(ChooseWidth, IoctlThenColumnsThen80) {
  EXPECT_EQ(ChooseWidth(132, "40"), 132);
  EXPECT_EQ(ChooseWidth(0, "40"), 40);
  EXPECT_EQ(ChooseWidth(0, "wide"), 80);
  EXPECT_EQ(ChooseWidth(0, "-3"), 80);
  EXPECT_EQ(ChooseWidth(0, ""), 80);
  EXPECT_EQ(ChooseWidth(0, nullptr), 80);
}

}  // namespace
}  // namespace larch::cli
