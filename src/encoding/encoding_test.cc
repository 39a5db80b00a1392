// File: src/encoding/encoding_test.cc
#include "src/encoding/encoding.h"

#include <gtest/gtest.h>

#include <limits>

namespace larch::encoding {
namespace {

TEST(EncoderTest, LittleEndianLayout) {
  Encoder enc;
  enc.U8(0xab);
  enc.U32(0x01020304);
  enc.U64(0x1122334455667788ULL);
  EXPECT_EQ(enc.bytes(), (Bytes{0xab, 0x04, 0x03, 0x02, 0x01, 0x88, 0x77, 0x66, 0x55, 0x44,
                                0x33, 0x22, 0x11}));
}

TEST(EncoderTest, LengthPrefixes) {
  Encoder enc;
  enc.Str("hi");
  enc.Blob(Bytes{7});
  enc.Raw(Bytes{9, 9});
  enc.Str("");
  EXPECT_EQ(enc.Take(), (Bytes{2, 0, 0, 0, 'h', 'i', 1, 0, 0, 0, 7, 9, 9, 0, 0, 0, 0}));
}

TEST(DecoderTest, RoundTrip) {
  Encoder enc;
  enc.U8(0);
  enc.U8(255);
  enc.U32(std::numeric_limits<uint32_t>::max());
  enc.U64(std::numeric_limits<uint64_t>::max());
  enc.U64(0x0102030405060708ULL);
  enc.Str("name");
  enc.Blob(Bytes{0, 1, 2});
  enc.Raw(Bytes{5, 6});
  Decoder dec(enc.bytes(), "test");
  EXPECT_EQ(*dec.U8(), 0);
  EXPECT_EQ(*dec.U8(), 255);
  EXPECT_EQ(*dec.U32(), std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(*dec.U64(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(*dec.U64(), 0x0102030405060708ULL);
  EXPECT_EQ(*dec.Str(10), "name");
  EXPECT_EQ(*dec.Blob(3), (Bytes{0, 1, 2}));
  auto raw = dec.Raw(2);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(Bytes(raw->begin(), raw->end()), (Bytes{5, 6}));
  EXPECT_EQ(dec.remaining(), 0u);
  EXPECT_TRUE(dec.Finish().ok());
}

TEST(DecoderTest, TruncatedIntegers) {
  const Bytes three{1, 2, 3};
  Decoder dec(three, "thing");
  auto r = dec.U32();
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption());
  EXPECT_EQ(r.status().message(), "thing: truncated: need 4 bytes, 3 left at offset 0");
  Decoder dec8(three, "thing");
  EXPECT_FALSE(dec8.U64().ok());
  Decoder empty(ByteSpan{}, "thing");
  EXPECT_FALSE(empty.U8().ok());
}

TEST(DecoderTest, BlobLimitAndTruncation) {
  Encoder enc;
  enc.Str("hello");
  {
    Decoder dec(enc.bytes(), "s");
    auto r = dec.Str(4);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "s: length 5 exceeds limit 4 at offset 0");
  }
  {
    Decoder dec(enc.bytes(), "s");
    EXPECT_EQ(*dec.Str(5), "hello");
  }
  Bytes cut = enc.bytes();
  cut.pop_back();
  Decoder dec(cut, "s");
  auto r = dec.Str(100);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption());
}

TEST(DecoderTest, HugeLengthIsRefusedNotAllocated) {
  const Bytes huge{0xff, 0xff, 0xff, 0xff, 'x'};
  Decoder dec(huge, "s");
  EXPECT_FALSE(dec.Blob(std::numeric_limits<size_t>::max()).ok());
}

TEST(DecoderTest, CountLimits) {
  Encoder enc;
  enc.U32(3);
  enc.Raw(Bytes(6, 0));
  {
    Decoder dec(enc.bytes(), "list");
    auto r = dec.Count(2, 1);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "list: count 3 exceeds limit 2 at offset 0");
  }
  {
    Decoder dec(enc.bytes(), "list");
    auto r = dec.Count(10, 3);  // needs 9 bytes, 6 left
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "list: count 3 cannot fit in 6 remaining bytes at offset 0");
  }
  {
    Decoder dec(enc.bytes(), "list");
    EXPECT_EQ(*dec.Count(10, 2), 3u);
  }
  {
    Decoder dec(enc.bytes(), "list");
    EXPECT_EQ(*dec.Count(10, 0), 3u);  // zero-size elements: only the limit applies
  }
}

TEST(DecoderTest, HugeCountRefused) {
  const Bytes huge{0xff, 0xff, 0xff, 0xff};
  Decoder dec(huge, "list");
  EXPECT_FALSE(dec.Count(std::numeric_limits<uint32_t>::max(), 1).ok());
}

TEST(DecoderTest, FinishRequiresEveryByte) {
  const Bytes data{1, 2};
  Decoder dec(data, "rec");
  ASSERT_TRUE(dec.U8().ok());
  Status s = dec.Finish();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_EQ(s.message(), "rec: 1 trailing bytes at offset 1");
  ASSERT_TRUE(dec.U8().ok());
  EXPECT_TRUE(dec.Finish().ok());
}

TEST(DecoderTest, ErrorNamesStructureAndOffset) {
  const Bytes data{1, 2, 3};
  Decoder dec(data, "dirtree");
  ASSERT_TRUE(dec.U8().ok());
  Status s = dec.Error("bad thing");
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_EQ(s.message(), "dirtree: bad thing at offset 1");
}

}  // namespace
}  // namespace larch::encoding
