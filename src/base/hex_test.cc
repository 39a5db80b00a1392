// Hex: the one textual form of checksums, lower case only.
#include "src/base/hex.h"

#include <gtest/gtest.h>

namespace larch {
namespace {

TEST(Hex, EncodesLowerCase) {
  EXPECT_EQ(HexEncode({}), "");
  const Bytes bytes = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
  EXPECT_EQ(HexEncode(bytes), "00017f80abff");
}

TEST(Hex, RoundTripsEveryByte) {
  Bytes all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<uint8_t>(b));
  std::optional<Bytes> back = HexDecode(HexEncode(all));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, all);
  EXPECT_EQ(HexDecode("")->size(), 0u);
}

TEST(Hex, RefusesWhatIsNotCanonical) {
  for (const char* bad : {"A0", "0F", "abc", "0", "zz", "0x00", " 00", "00 ", "0g", "-1"})
    EXPECT_FALSE(HexDecode(bad).has_value()) << bad;
}

}  // namespace
}  // namespace larch
