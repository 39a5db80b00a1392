// File: repo/delta/part_xz_test.cc
// xz parts: the round trip, and every way a stream can be off-format or ask
// for more memory than a device grants: each refused with a clear message.
#include "repo/delta/part_xz.h"

#include <lzma.h>

#include <gtest/gtest.h>

#include "repo/delta/limits.h"
#include "repo/delta/part_compression.h"
#include "repo/repo_test_util.h"

namespace larch::delta {
namespace {

using repo::testing::FailsWith;

Bytes Sample(size_t n) {
  Bytes raw;
  const std::string words[] = {"larch ", "delta ", "part ", "xz ", "stream\n", "zstd "};
  for (size_t i = 0; raw.size() < n; i = i * 7 + 3) {
    const std::string& w = words[i % 6];
    raw.insert(raw.end(), w.begin(), w.end());
  }
  raw.resize(n);
  return raw;
}

Result<Bytes> Decompress(ByteSpan compressed, uint64_t expected,
                         PartCompression kind = PartCompression::kXz) {
  SpanSource src(compressed);
  PartInfo info;
  info.uncompressed_size = expected;
  info.compression = kind;
  LARCH_ASSIGN_OR_RETURN(auto d, OpenPart(src, info));
  return ReadAll(*d);
}

// An .xz stream as another writer could make it: any dictionary and check.
Bytes Encode(ByteSpan raw, uint32_t dict, lzma_check check) {
  lzma_options_lzma opt;
  EXPECT_FALSE(lzma_lzma_preset(&opt, 1));
  opt.dict_size = dict;
  lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, nullptr}};
  Bytes out(lzma_stream_buffer_bound(raw.size()));
  size_t pos = 0;
  EXPECT_EQ(lzma_stream_buffer_encode(filters, check, nullptr, raw.data(), raw.size(), out.data(),
                                      &pos, out.size()),
            LZMA_OK);
  out.resize(pos);
  return out;
}

TEST(PartXzTest, RoundTripsWithAndWithoutABranchFilter) {
  Bytes raw = Sample(300000);
  for (PartContent content : {PartContent::kData, PartContent::kX86Code, PartContent::kArm64Code}) {
    Bytes xz = *CompressPartXz(raw, content);
    auto back = Decompress(xz, raw.size());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, raw);
  }
  Bytes empty_xz = *CompressPartXz({}, PartContent::kData);
  EXPECT_EQ(*Decompress(empty_xz, 0), Bytes());
}

TEST(PartXzTest, RefusesWrongSizesTruncationTrailingBytesAndDamage) {
  Bytes raw = Sample(300000);
  Bytes xz = *CompressPartXz(raw, PartContent::kData);
  EXPECT_TRUE(FailsWith(Decompress(xz, raw.size() - 1), StatusCode::kCorruption, "more than the"));
  EXPECT_TRUE(FailsWith(Decompress(xz, raw.size() + 1), StatusCode::kCorruption, "superblock says"));
  for (size_t cut : {size_t{1}, size_t{12}, xz.size() / 2, xz.size() - 1})
    EXPECT_TRUE(FailsWith(Decompress(ByteSpan(xz).first(xz.size() - cut), raw.size()),
                          StatusCode::kCorruption, "delta part: xz:")) << cut;
  Bytes padded = xz;
  padded.insert(padded.end(), 4, 0);  // stream padding: valid in .xz files, not in a part
  EXPECT_TRUE(FailsWith(Decompress(padded, raw.size()), StatusCode::kCorruption, "trailing bytes"));
  Bytes flipped = xz;
  flipped[flipped.size() / 2] ^= 0x10;
  EXPECT_TRUE(FailsWith(Decompress(flipped, raw.size()), StatusCode::kCorruption, "delta part: xz:"));
  EXPECT_TRUE(FailsWith(Decompress(raw, raw.size()), StatusCode::kCorruption, "not an xz stream"));
}

TEST(PartXzTest, RefusesAStreamThatAsksForMoreMemoryThanTheLimit) {
  // A tiny stream declaring a 64 MiB dictionary: refused before allocating.
  Bytes raw = Sample(1000);
  Bytes big = Encode(raw, 64u << 20, LZMA_CHECK_CRC32);
  EXPECT_TRUE(FailsWith(Decompress(big, raw.size()), StatusCode::kCorruption, "above the 33 MiB limit"));
  Bytes fits = Encode(raw, kMaxXzDict, LZMA_CHECK_CRC32);
  EXPECT_EQ(*Decompress(fits, raw.size()), raw);
  EXPECT_LT(kMaxXzDict, XzPartMemLimit());
}

TEST(PartXzTest, RefusesChecksOtherThanCrc32) {
  Bytes raw = Sample(1000);
  EXPECT_TRUE(FailsWith(Decompress(Encode(raw, 1u << 20, LZMA_CHECK_NONE), raw.size()),
                        StatusCode::kCorruption, "not CRC-32"));
  EXPECT_TRUE(FailsWith(Decompress(Encode(raw, 1u << 20, LZMA_CHECK_SHA256), raw.size()),
                        StatusCode::kCorruption, "not CRC-32"));
}

// What decoding `xz` asks of a decoder limited to `limit` bytes.
lzma_ret DecodeWithin(ByteSpan xz, uint64_t limit, size_t expected) {
  lzma_stream strm = LZMA_STREAM_INIT;
  EXPECT_EQ(lzma_stream_decoder(&strm, limit, 0), LZMA_OK);
  Bytes out(expected);
  strm.next_in = xz.data();
  strm.avail_in = xz.size();
  strm.next_out = out.data();
  strm.avail_out = out.size();
  lzma_ret rc = lzma_code(&strm, LZMA_FINISH);
  lzma_end(&strm);
  return rc;
}

// The dictionary (what a device allocates) is the part's size, capped by
// what the caller allows: a part holding a streamed patch gets less.
TEST(PartXzTest, TheDictionaryIsCappedWhereTheCallerSays) {
  Bytes raw(24u << 20, 0);
  Bytes wide = *CompressPartXz(raw, PartContent::kData);
  Bytes narrow = *CompressPartXz(raw, PartContent::kData, kStreamedPatchXzDict);
  const uint64_t limit = kStreamedPatchXzDict + (2u << 20);
  EXPECT_EQ(DecodeWithin(narrow, limit, raw.size()), LZMA_STREAM_END);
  EXPECT_EQ(DecodeWithin(wide, limit, raw.size()), LZMA_MEMLIMIT_ERROR);
  EXPECT_EQ(DecodeWithin(wide, XzPartMemLimit(), raw.size()), LZMA_STREAM_END);
}

TEST(PartCompressionTest, KeepsTheSmallerAndRefusesUnknownKinds) {
  Bytes raw = Sample(200000);
  CompressedPart zstd_only = *CompressPart(raw, 19, PartContent::kData, false);
  EXPECT_EQ(zstd_only.compression, PartCompression::kZstd);
  CompressedPart best = *CompressPart(raw, 19, PartContent::kData, true);
  EXPECT_LE(best.bytes.size(), zstd_only.bytes.size());
  EXPECT_EQ(*Decompress(best.bytes, raw.size(), best.compression), raw);
  // A zstd frame is no xz stream and the other way round.
  EXPECT_FALSE(Decompress(zstd_only.bytes, raw.size(), PartCompression::kXz).ok());
  Bytes xz = *CompressPartXz(raw, PartContent::kData);
  EXPECT_TRUE(FailsWith(Decompress(xz, raw.size(), PartCompression::kZstd), StatusCode::kCorruption,
                        "not a zstd frame"));
  EXPECT_TRUE(FailsWith(Decompress(xz, raw.size(), static_cast<PartCompression>(2)),
                        StatusCode::kCorruption, "unknown compression 2"));
}

TEST(PartContentTest, ClassifiesElfByMachine) {
  Bytes elf(64, 0);
  elf[0] = 0x7f, elf[1] = 'E', elf[2] = 'L', elf[3] = 'F', elf[5] = 1;
  elf[18] = 62;
  EXPECT_EQ(ClassifyContent(elf), PartContent::kX86Code);
  elf[18] = 183;
  EXPECT_EQ(ClassifyContent(elf), PartContent::kArm64Code);
  elf[18] = 40;  // 32-bit ARM: no filter here
  EXPECT_EQ(ClassifyContent(elf), PartContent::kData);
  EXPECT_EQ(ClassifyContent(AsBytes("#!/bin/sh\n")), PartContent::kData);
  EXPECT_EQ(ClassifyContent(ByteSpan(elf).first(10)), PartContent::kData);
}

}  // namespace
}  // namespace larch::delta
