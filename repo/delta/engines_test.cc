// File: repo/delta/engines_test.cc
#include "repo/delta/engines.h"

#include <array>

#include <gtest/gtest.h>

#include "repo/delta/bsdiff.h"
#include "repo/delta/limits.h"
#include "src/compress/zstd_stream.h"
#include "src/encoding/encoding.h"
#include "repo/delta/gnu_deflate.h"
#include "repo/delta/gzip_patch.h"
#include "repo/delta/gzip_recipe.h"
#include "repo/delta/zlib_raw.h"
#include "repo/delta/delta_test_util.h"
#include "repo/delta/suffix_sort.h"
#include "repo/delta/zstd_patch.h"

namespace larch::delta {
namespace {

using repo::testing::FailsWith;
using testing::Binary;

Bytes B(const std::string& s) { return Bytes(s.begin(), s.end()); }

bool HaveSuffixSort() { return SuffixArray(B("abc")).ok(); }

TEST(ZstdPatchTest, RoundTripsAndIsSmall) {
  Bytes base = B(Binary(1, 100000)), target = B(Binary(2, 100500));
  Bytes patch = *ZstdPatchCreate(base, target);
  EXPECT_LT(patch.size(), 2000u);
  auto back = ZstdPatchApply(base, patch, target.size());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, target);
}

TEST(ZstdPatchTest, RefusesWrongSizesAndTrailingBytes) {
  Bytes base = B(Binary(1, 5000)), target = B(Binary(2, 5000));
  Bytes patch = *ZstdPatchCreate(base, target);
  EXPECT_TRUE(FailsWith(ZstdPatchApply(base, patch, 4999), StatusCode::kCorruption, "declares"));
  Bytes longer = patch;
  longer.push_back(0);
  EXPECT_TRUE(FailsWith(ZstdPatchApply(base, longer, 5000), StatusCode::kCorruption, "one frame"));
  EXPECT_TRUE(FailsWith(ZstdPatchApply(base, B("junk"), 5000), StatusCode::kCorruption, "not a zstd frame"));
}

TEST(ZstdPatchTest, AFrameDeclaringMoreThanThePatchLimitIsRefusedBeforeAllocating) {
  // One frame whose header declares 2^40 bytes and whose single raw block
  // holds none of them: valid enough for zstd's framing checks.
  Bytes patch = {0x28, 0xb5, 0x2f, 0xfd, 0xc0, 0x00,  // magic, 8-byte size, window
                 0, 0, 0, 0, 0, 1, 0, 0,              // 2^40, little-endian
                 0x01, 0, 0};                         // last block, raw, empty
  const size_t claimed = size_t{1} << 40;
  EXPECT_TRUE(FailsWith(ZstdPatchApply(B("base"), patch, claimed), StatusCode::kCorruption,
                        "above the patch limit"));
}

TEST(ZstdPatchTest, WrongBaseGivesOtherBytes) {
  Bytes base = B(Binary(1, 50000)), target = B(Binary(2, 50000));
  Bytes patch = *ZstdPatchCreate(base, target);
  auto out = ZstdPatchApply(B(std::string(50000, 'q')), patch, target.size());
  EXPECT_TRUE(!out.ok() || *out != target);
}

TEST(SuffixSortTest, SortsSuffixes) {
  if (!HaveSuffixSort()) GTEST_SKIP() << "libdivsufsort not available";
  auto sa = SuffixArray(B("banana"));
  ASSERT_TRUE(sa.ok());
  EXPECT_EQ(*sa, (std::vector<int32_t>{5, 3, 1, 0, 4, 2}));
}

TEST(BsdiffTest, RoundTrips) {
  if (!HaveSuffixSort()) GTEST_SKIP() << "libdivsufsort not available";
  for (auto [a, b] : {std::pair{B(Binary(1, 100000)), B(Binary(2, 100500))},
                      std::pair{B("x"), B("")}, std::pair{B("abcdef"), B("zzzzzzzzzzzz")}}) {
    Bytes patch = *BsdiffCreate(a, b);
    auto back = BsdiffApply(a, patch, b.size());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, b);
  }
}

TEST(BsdiffTest, RefusesRunsOutsideTheBaseAndLengthsThatLie) {
  if (!HaveSuffixSort()) GTEST_SKIP() << "libdivsufsort not available";
  Bytes base = B(Binary(1, 3000)), target = B(Binary(2, 3000));
  Bytes patch = *BsdiffCreate(base, target);
  EXPECT_TRUE(FailsWith(BsdiffApply(base, patch, 2999), StatusCode::kCorruption, "add up to"));
  EXPECT_TRUE(FailsWith(BsdiffApply(ByteSpan(base).first(10), patch, 3000), StatusCode::kCorruption,
                        "outside the base"));
  Bytes cut(patch.begin(), patch.end() - 1);
  EXPECT_FALSE(BsdiffApply(base, cut, 3000).ok());
}

// Found by fuzz_delta_part: the size an operation claims is not yet proven
// and must not be allocated up front.
TEST(BsdiffTest, AClaimedTargetOfTerabytesIsRefusedWithoutAllocatingIt) {
  if (!HaveSuffixSort()) GTEST_SKIP() << "libdivsufsort not available";
  Bytes base = B(Binary(1, 3000)), target = B(Binary(2, 3000));
  Bytes patch = *BsdiffCreate(base, target);
  const size_t claimed = size_t{0x3a} << 40;
  EXPECT_FALSE(BsdiffApply(base, patch, claimed).ok());
  EXPECT_FALSE(ApplyPatch(OpKind::kPatchElf, base, patch, claimed).ok());
}

TEST(BsdiffTest, SmallFilePatchIsOneBlockInTheOriginalLayout) {
  if (!HaveSuffixSort()) GTEST_SKIP() << "libdivsufsort not available";
  Bytes base = B(Binary(1, 100000)), target = B(Binary(2, 100500));
  Bytes patch = *BsdiffCreate(base, target);
  encoding::Decoder dec(patch, "patch");
  uint32_t n = *dec.U32();
  EXPECT_EQ(patch.size(), 4 + 16 * size_t{n} + target.size());  // deltas made before blocks read it
}

TEST(BsdiffTest, BigFilesAreCutIntoBlocksAndStreamed) {
  if (!HaveSuffixSort()) GTEST_SKIP() << "libdivsufsort not available";
  Bytes base = B(testing::BigBinary(1)), target = B(testing::BigBinary(2));
  Bytes patch = *BsdiffCreate(base, target);
  SpanRandomAccess old(base);
  SpanSource src(patch);
  Bytes out;
  size_t blocks = 0;
  Status s = BsdiffApplyStream(old, src, target.size(), [&](ByteSpan block) {
    EXPECT_LE(block.size(), kMaxBsdiffBlock);
    out.insert(out.end(), block.begin(), block.end());
    ++blocks;
    return Status::Ok();
  }, kMaxBsdiffBlockControls);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out, target);
  EXPECT_GE(blocks, 2u);
  uint8_t extra;
  EXPECT_EQ(*src.Read(MutableByteSpan(&extra, 1)), 0u);  // read exactly the patch
  EXPECT_EQ(*BsdiffApply(base, patch, target.size()), target);
}

// A big target is matched in pieces on every core; each piece starts at
// base position 0, so a seam's run must seek back there. Small pieces make
// many seams on a small file.
TEST(BsdiffTest, APieceWiseScanReproducesTheTargetAtAboutTheSameSize) {
  if (!HaveSuffixSort()) GTEST_SKIP() << "libdivsufsort not available";
  Bytes base = B(Binary(1, 400000)), target = B(Binary(2, 401000));
  Bytes whole = *BsdiffCreate(base, target, DiffForm::kCompatible, target.size());
  Bytes pieces = *BsdiffCreate(base, target, DiffForm::kCompatible, 20000);
  EXPECT_NE(whole, pieces);  // the seams are there
  EXPECT_EQ(*BsdiffApply(base, pieces, target.size()), target);
  auto z = [](const Bytes& b) { return compress::ZstdCompress(b, 19, 1)->size(); };
  EXPECT_LE(z(pieces), z(whole) + 20 * 64);  // a few bytes per seam
  EXPECT_FALSE(BsdiffCreate(base, target, DiffForm::kCompatible, 0).ok());
}

// Found on webkit2gtk (a 92 MB library with one small change): pieces of
// a target equal to the base, each seam seeking back to the base's start.
TEST(BsdiffTest, APieceWiseScanOfANearlyEqualFileAppliesAcrossBlocks) {
  if (!HaveSuffixSort()) GTEST_SKIP() << "libdivsufsort not available";
  Bytes base = B(Binary(1, 400000));
  Bytes target = base;
  target[100000] ^= 0x5a;
  for (size_t piece : {size_t{20000}, size_t{65536}, target.size()}) {
    Bytes patch = *BsdiffCreate(base, target, DiffForm::kSparse, piece);
    auto back = BsdiffApply(base, patch, target.size());
    ASSERT_TRUE(back.ok()) << "piece " << piece << ": " << back.status().ToString();
    EXPECT_EQ(*back, target);
  }
}

// A run whose diff bytes end exactly at a block's end, with no extra
// bytes, must keep its seek: found on webkit2gtk, whose 16 MiB scan pieces
// each end in such a run (the patch applied with "run outside the base").
TEST(BsdiffTest, ARunEndingExactlyAtABlocksEndKeepsItsSeek) {
  if (!HaveSuffixSort()) GTEST_SKIP() << "libdivsufsort not available";
  Bytes base(2 * kMaxBsdiffBlock + 4096);
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (uint8_t& b : base) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    b = static_cast<uint8_t>(x);
  }
  Bytes target = base;
  target[target.size() - 100] ^= 1;
  // One piece per block: each piece's last run ends at a block's end.
  Bytes patch = *BsdiffCreate(base, target, DiffForm::kCompatible, kMaxBsdiffBlock);
  auto back = BsdiffApply(base, patch, target.size());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, target);
}

// Counts the reads an applier makes of the base.
class CountingAccess : public RandomAccess {
 public:
  explicit CountingAccess(ByteSpan data) : inner_(data), size_(data.size()) {}
  uint64_t size() const override { return size_; }
  Status ReadAt(uint64_t offset, MutableByteSpan buf) override {
    ++reads;
    return inner_.ReadAt(offset, buf);
  }
  size_t reads = 0;

 private:
  SpanRandomAccess inner_;
  uint64_t size_;
};

// A target made of short stretches from all over the base (what text and
// archives look like to bsdiff): one read per run made a 97 MB file
// millions of system calls; runs close together in the base are read as
// one span.
TEST(BsdiffTest, ScatteredRunsAreReadAsFewSpans) {
  if (!HaveSuffixSort()) GTEST_SKIP() << "libdivsufsort not available";
  Bytes base(1u << 20);
  uint64_t x = 88172645463325252ull;
  auto next = [&] { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; };
  for (uint8_t& b : base) b = static_cast<uint8_t>(next());
  Bytes target;
  for (int i = 0; i < 5000; ++i) {
    size_t at = next() % (base.size() - 40);
    target.insert(target.end(), base.begin() + static_cast<std::ptrdiff_t>(at),
                  base.begin() + static_cast<std::ptrdiff_t>(at + 40));
    target.push_back(static_cast<uint8_t>(next()));
  }
  Bytes patch = *BsdiffCreate(base, target);
  const size_t runs = BsdiffMatches(patch)->size();
  ASSERT_GT(runs, 4000u);
  CountingAccess old(base);
  SpanSource src(patch);
  Bytes out;
  ASSERT_TRUE(BsdiffApplyStream(old, src, target.size(), [&](ByteSpan block) {
    out.insert(out.end(), block.begin(), block.end());
    return Status::Ok();
  }, kMaxBsdiffBlockControls).ok());
  EXPECT_EQ(out, target);
  EXPECT_LE(old.reads, runs / 100) << runs << " runs";
}

// One block by hand: controls (diff, extra, seek), then the two streams.
Bytes Block(const std::vector<std::array<uint64_t, 3>>& controls, size_t stream_bytes) {
  encoding::Encoder enc;
  enc.U32(static_cast<uint32_t>(controls.size()));
  for (const auto& c : controls) {
    enc.U32(static_cast<uint32_t>(c[0]));
    enc.U32(static_cast<uint32_t>(c[1]));
    enc.U64(c[2]);
  }
  enc.Raw(Bytes(stream_bytes, 0));
  return enc.Take();
}

TEST(BsdiffTest, StreamRefusesBlocksOutsideTheLimits) {
  Bytes base(100, 'b');
  auto apply = [&](const Bytes& patch, uint64_t size, uint32_t max_controls) {
    SpanRandomAccess old(base);
    SpanSource src(patch);
    return BsdiffApplyStream(old, src, size, [](ByteSpan) { return Status::Ok(); }, max_controls);
  };
  EXPECT_TRUE(apply(Block({{10, 0, 0}, {10, 0, 0}}, 20), 20, 2).ok());
  EXPECT_TRUE(FailsWith(apply(Block({{10, 0, 0}, {10, 0, 0}}, 20), 20, 1), StatusCode::kCorruption,
                        "block of 2 controls"));
  EXPECT_TRUE(FailsWith(apply(Block({{0, 0, 0}}, 0), 20, 4), StatusCode::kCorruption, "block of 0 bytes"));
  EXPECT_TRUE(FailsWith(apply(Block({{0, kMaxBsdiffBlock + 1, 0}}, 0), kMaxBsdiffBlock + 1, 4),
                        StatusCode::kCorruption, "block of"));
  EXPECT_TRUE(FailsWith(apply(Block({{10, 0, 95}, {10, 0, 0}}, 20), 20, 4), StatusCode::kCorruption,
                        "outside the base"));
  EXPECT_TRUE(FailsWith(apply(Block({{10, 0, 0}}, 5), 10, 4), StatusCode::kCorruption, "truncated"));
}

TEST(EnginesTest, CandidatesSmallestFirst) {
  Bytes base = B(Binary(1, 100000)), target = B(Binary(2, 100500));
  auto candidates = MakePatches(base, target);
  ASSERT_TRUE(candidates.ok());
  ASSERT_FALSE(candidates->empty());
  for (size_t i = 1; i < candidates->size(); ++i)
    EXPECT_LE((*candidates)[i - 1].wire_estimate, (*candidates)[i].wire_estimate);
  for (const PatchCandidate& c : *candidates) {
    auto back = ApplyPatch(c.engine, base, c.patch, target.size());
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, target);
  }
}

// A gzip member as `gzip -9n` would write it, through zlib.
Bytes Gz(const Bytes& raw) {
  Bytes out{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3};
  Bytes body = *RawDeflate(raw, 9, 8);
  out.insert(out.end(), body.begin(), body.end());
  uint32_t crc = *Crc32(raw), size = static_cast<uint32_t>(raw.size());
  for (uint32_t v : {crc, size})
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return out;
}

TEST(GzipPatchTest, PatchesTheDecompressedContentAndRecompressesExactly) {
  if (!RawDeflate(B("x"), 9, 8).ok()) GTEST_SKIP() << "zlib not available";
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "line " + std::to_string(i) + " of a manual page\n";
  Bytes base = Gz(B(text)), target = Gz(B(text + "one more line\n"));
  Bytes patch = *GzipPatchCreate(base, target, true);
  EXPECT_LT(patch.size(), 100u);
  auto back = GzipPatchApply(base, patch, target.size());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, target);
  EXPECT_TRUE(FailsWith(GzipPatchApply(target, patch, target.size()), StatusCode::kCorruption, ""));
  EXPECT_TRUE(FailsWith(GzipPatchApply(B("not gzip"), patch, target.size()), StatusCode::kCorruption,
                        "not a plain gzip member"));
  // Not gzip at all: the engine declines.
  EXPECT_EQ(GzipPatchCreate(B(text), B(text), true).status().code(), StatusCode::kUnsupported);
}

// A member as GNU gzip -9n writes it (gzip's deflate, not zlib's).
Bytes GnuGz(const Bytes& raw) {
  Bytes out{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3};
  Bytes body = GnuDeflateAll(raw, 9);
  out.insert(out.end(), body.begin(), body.end());
  uint32_t crc = *Crc32(raw), size = static_cast<uint32_t>(raw.size());
  for (uint32_t v : {crc, size})
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return out;
}

// Lines of a long repeated part and a few random letters: mostly literals
// yet well compressible, where GNU gzip ends blocks early by its own rule
// and zlib's output differs.
std::string ManualText(int lines) {
  std::string text;
  uint32_t x = 1;
  for (int i = 0; i < lines; ++i) {
    text += ".TP\n.B \\-\\-an-option-that-every-line-of-this-page-repeats ";
    for (int k = 0; k < 12; ++k) text += static_cast<char>('a' + (x = x * 1103515245 + 12345) % 23);
    text += "\n";
  }
  return text;
}

TEST(GzipPatchTest, RebuildsGnuGzipMembersInTheLongForm) {
  std::string text = ManualText(4000);  // well past zlib's agreement with gzip
  Bytes base = GnuGz(B(text)), target = GnuGz(B(text + "one more line\n"));
  EXPECT_EQ(GzipPatchCreate(base, target, false).status().code(), StatusCode::kUnsupported);
  Bytes patch = *GzipPatchCreate(base, target, true);
  EXPECT_EQ(patch[10], 0);  // the long form
  EXPECT_EQ(patch[11], 2);  // GNU gzip
  EXPECT_EQ(patch[12], 9);
  auto back = GzipPatchApply(base, patch, target.size());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, target);
}

TEST(GzipPatchTest, RefusesBadRecipes) {
  std::string text = ManualText(4000);
  Bytes base = GnuGz(B(text)), target = GnuGz(B(text + "x\n"));
  Bytes patch = *GzipPatchCreate(base, target, true);
  auto with = [&](size_t at, uint8_t v) {
    Bytes p = patch;
    p[at] = v;
    return GzipPatchApply(base, p, target.size());
  };
  Bytes zlib_long = patch;
  zlib_long[11] = 1;
  zlib_long[13] = 8;
  EXPECT_TRUE(FailsWith(GzipPatchApply(base, zlib_long, target.size()), StatusCode::kCorruption,
                        "zlib recipe in the long form"));
  EXPECT_TRUE(FailsWith(with(11, 1), StatusCode::kCorruption, "zlib memLevel out of range"));
  EXPECT_TRUE(FailsWith(with(11, 3), StatusCode::kCorruption, "unknown gzip mode"));
  EXPECT_TRUE(FailsWith(with(12, 0), StatusCode::kCorruption, "level out of range"));
  EXPECT_TRUE(FailsWith(with(12, 10), StatusCode::kCorruption, "level out of range"));
  EXPECT_TRUE(FailsWith(with(13, 8), StatusCode::kCorruption, "takes no memLevel"));
  EXPECT_TRUE(FailsWith(with(3, 8), StatusCode::kCorruption, "not a plain gzip header"));
  EXPECT_TRUE(FailsWith(with(10, 10), StatusCode::kCorruption, "bad zlib parameters"));
  // Another level rebuilds other bytes: the size check (or the hash) catches it.
  EXPECT_FALSE(with(12, 1).ok());
}

TEST(GzipRecipeTest, FindsZlibFirstThenGnuGzip) {
  Bytes raw = B(ManualText(4000));
  auto zlib = FindGzipRecipe(Gz(raw), raw, true);
  ASSERT_TRUE(zlib.ok());
  EXPECT_EQ(zlib->mode, GzipRecipe::Mode::kZlib);
  auto gnu = FindGzipRecipe(GnuGz(raw), raw, true);
  ASSERT_TRUE(gnu.ok());
  EXPECT_EQ(gnu->mode, GzipRecipe::Mode::kGnuGzip);
  EXPECT_EQ(*RebuildGzip(*gnu, raw), GnuGz(raw));
  Bytes other = GnuGz(raw);
  other[other.size() / 2] ^= 1;
  EXPECT_EQ(FindGzipRecipe(other, raw, true).status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace larch::delta
