// File: src/base/text_format_test.cc
#include "src/base/text_format.h"

#include <gtest/gtest.h>

namespace larch {
namespace {

TEST(TextFormat, UtcIsIso8601ToTheSecond) {
  EXPECT_EQ(FormatUtc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtc(1795299980), "2026-11-21T22:26:20Z");
  // Past 2038: time_t is 64 bits on every target Larch builds for.
  EXPECT_EQ(FormatUtc(4102444800), "2100-01-01T00:00:00Z");
}

TEST(TextFormat, MibHasOneDecimal) {
  EXPECT_EQ(FormatMib(0), "0.0 MiB");
  EXPECT_EQ(FormatMib(1 << 20), "1.0 MiB");
  EXPECT_EQ(FormatMib(3 * (1 << 20) / 2), "1.5 MiB");
}

}  // namespace
}  // namespace larch
