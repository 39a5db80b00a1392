// File: repo/delta/sparse_diff_test.cc
#include "repo/delta/sparse_diff.h"

#include <gtest/gtest.h>

#include <random>

#include "repo/delta/bsdiff.h"
#include "repo/delta/delta_test_util.h"
#include "repo/delta/suffix_sort.h"
#include "src/encoding/encoding.h"

namespace larch::delta {
namespace {

using repo::testing::FailsWith;

Bytes B(const std::string& s) { return Bytes(s.begin(), s.end()); }

// Reads `encoded` back as `size` diff bytes, in pieces of `piece` bytes.
Result<Bytes> Decode(ByteSpan encoded, size_t size, size_t piece) {
  SpanSource src(encoded);
  SparseDiffReader reader(src, encoded.size(), size);
  Bytes out(size);
  for (size_t at = 0; at < size; at += piece)
    LARCH_RETURN_IF_ERROR(reader.Fill(MutableByteSpan(out.data() + at, std::min(piece, size - at))));
  LARCH_RETURN_IF_ERROR(reader.Finish());
  return out;
}

// Diff-like bytes: long zero stretches with scattered changes, short zero
// runs inside the changes.
Bytes DiffLike(uint32_t seed, size_t size) {
  std::mt19937 rng(seed);
  Bytes d(size, 0);
  for (size_t i = 0; i < size;) {
    i += rng() % 300;
    for (size_t n = rng() % 12; n > 0 && i < size; --n, ++i) d[i] = static_cast<uint8_t>(rng() % 3 == 0 ? 0 : rng());
  }
  return d;
}

TEST(SparseDiffTest, RoundTripsWhateverTheBytesAndHowTheyAreRead) {
  std::vector<Bytes> inputs = {Bytes(1, 0), Bytes(1, 7), Bytes(100000, 0), B(testing::Binary(3, 5000)),
                               DiffLike(1, 200000), B(std::string("\1\0\0\2\0\0\0\3\0", 9))};
  for (const Bytes& d : inputs) {
    Bytes encoded = EncodeSparseDiff(d);
    for (size_t piece : {size_t{1}, size_t{7}, size_t{4096}, d.size()}) {
      Result<Bytes> back = Decode(encoded, d.size(), piece);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      EXPECT_EQ(*back, d);
    }
  }
  // What it is for: a diff of mostly zeros becomes a small fraction.
  EXPECT_LT(EncodeSparseDiff(DiffLike(2, 1 << 20)).size(), size_t{(1 << 20) / 10});
  EXPECT_EQ(EncodeSparseDiff(Bytes(50000, 0)).size(), 4u);  // one pair: 50000 zeros, no literals
}

TEST(SparseDiffTest, RefusesWhatDoesNotCoverTheDiffBytesExactly) {
  auto bad = [](const Bytes& encoded, size_t size, const std::string& needle) {
    return FailsWith(Decode(encoded, size, size).status(), StatusCode::kCorruption, needle);
  };
  EXPECT_TRUE(bad({0, 0, 1, 0}, 1, "covers nothing"));
  EXPECT_TRUE(bad({5, 0}, 4, "covers more than"));
  EXPECT_TRUE(bad({2, 0}, 4, "ends before"));                        // 2 of 4 bytes, then nothing
  EXPECT_TRUE(bad({0, 2, 9}, 2, "ends before"));                     // a literal missing
  EXPECT_TRUE(bad({0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0}, 4, "longer than 5 bytes"));
  EXPECT_TRUE(bad({0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0}, 4, "above 2^32"));
  // Bytes after the last diff byte.
  Bytes extra = {4, 0, 9};
  SpanSource src(extra);
  SparseDiffReader reader(src, extra.size(), 4);
  Bytes out(4);
  ASSERT_TRUE(reader.Fill(out).ok());
  EXPECT_TRUE(FailsWith(reader.Finish(), StatusCode::kCorruption, "after the last diff byte"));
  // Fewer diff bytes asked for than the pairs cover.
  SpanSource src2(extra);
  SparseDiffReader short_read(src2, 2, 4);
  Bytes two(2);
  ASSERT_TRUE(short_read.Fill(two).ok());
  EXPECT_TRUE(FailsWith(short_read.Finish(), StatusCode::kCorruption, "fewer bytes"));
}

bool HaveSuffixSort() { return SuffixArray(B("abc")).ok(); }

// The count word of each block of a patch, in order.
std::vector<uint32_t> BlockWords(ByteSpan patch) {
  std::vector<uint32_t> words;
  encoding::Decoder dec(patch, "patch");
  while (dec.remaining() > 0) {
    uint32_t word = *dec.U32();
    words.push_back(word);
    uint32_t n = word & ~kSparseDiffFlag;
    uint64_t diff = 0, extra = 0;
    for (uint32_t i = 0; i < n; ++i) {
      diff += *dec.U32();
      extra += *dec.U32();
      (void)*dec.U64();
    }
    if (word & kSparseDiffFlag) diff = *dec.U32();
    (void)*dec.Raw(static_cast<size_t>(diff + extra));
  }
  return words;
}

TEST(SparseDiffTest, BsdiffWritesSparseBlocksWhereAllowedAndAppliesBothForms) {
  if (!HaveSuffixSort()) GTEST_SKIP() << "libdivsufsort not available";
  Bytes base = B(testing::Binary(1, 300000)), target = base;
  for (size_t i = 1000; i < target.size(); i += 5000) target[i] ^= 0x5A;
  for (DiffForm form : {DiffForm::kCompatible, DiffForm::kSparse}) {
    Bytes patch = *BsdiffCreate(base, target, form);
    std::vector<uint32_t> words = BlockWords(patch);
    ASSERT_EQ(words.size(), 1u);
    EXPECT_EQ((words[0] & kSparseDiffFlag) != 0, form == DiffForm::kSparse);
    auto back = BsdiffApply(base, patch, target.size());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, target);
    auto matches = BsdiffMatches(patch);
    ASSERT_TRUE(matches.ok());
    EXPECT_FALSE(matches->empty());
  }
  // Sparse is the smaller: 300 kB of diff bytes, 60 of them not zero.
  EXPECT_LT(BsdiffCreate(base, target, DiffForm::kSparse)->size() + 250000,
            BsdiffCreate(base, target, DiffForm::kCompatible)->size());
}

TEST(SparseDiffTest, BsdiffRefusesASparseBlockNoSmallerThanItsDiffBytes) {
  if (!HaveSuffixSort()) GTEST_SKIP() << "libdivsufsort not available";
  Bytes base = B(testing::Binary(1, 30000)), target = base;
  target[100] ^= 1;
  Bytes patch = *BsdiffCreate(base, target, DiffForm::kSparse);
  const uint32_t n = BlockWords(patch)[0] & ~kSparseDiffFlag;
  const size_t len_at = 4 + size_t{n} * 16;
  Bytes grown = patch;
  grown[len_at] = 0xFF;
  grown[len_at + 1] = 0xFF;
  grown[len_at + 2] = 0xFF;  // the sparse form "as big as" 16 MB of diff bytes
  EXPECT_TRUE(FailsWith(BsdiffApply(base, grown, target.size()), StatusCode::kCorruption, "sparse diff of"));
  Bytes cut(patch.begin(), patch.end() - 1);
  EXPECT_FALSE(BsdiffApply(base, cut, target.size()).ok());
}

}  // namespace
}  // namespace larch::delta
