// File: repo/delta/elf_patch_test.cc
// The ELF engine on real compiled pairs (x86-64 always, AArch64 when a
// cross compiler is installed): exact round trips, clearly smaller than
// bsdiff, streamed in any chunking; malformed patches and wrong bases
// refused; anything that is not a supported ELF left to the other engines.
#include "repo/delta/elf_patch.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "repo/delta/bsdiff.h"
#include "repo/delta/elf_patch_header.h"
#include "repo/delta/elf_refs.h"
#include "repo/delta/elf_test_util.h"
#include "repo/delta/engines.h"
#include "repo/repo_test_util.h"
#include "src/compress/zstd_stream.h"

namespace larch::delta {
namespace {

using namespace testing;  // NOLINT
using repo::testing::FailsWith;
using repo::testing::Must;

struct Pair {
  Bytes v1, v2;
};

// Compiled once per compiler for the whole suite.
const Pair* ProgramPair(const std::string& compiler) {
  static std::map<std::string, std::optional<Pair>> cache;
  static TempDir dir;
  auto it = cache.find(compiler);
  if (it == cache.end()) {
    std::optional<Pair> pair;
    if (HaveCompiler(compiler)) {
      std::optional<Bytes> v1 = CompileProgram(dir, compiler, 1), v2 = CompileProgram(dir, compiler, 2);
      if (v1 && v2) pair = Pair{*v1, *v2};
    }
    it = cache.emplace(compiler, std::move(pair)).first;
  }
  return it->second ? &*it->second : nullptr;
}

// What the engine must beat bsdiff by (compressed as in a part).
constexpr double kRatio = 0.8;

size_t Compressed(ByteSpan data) { return Must(compress::ZstdCompress(data, 19)).size(); }

void ExpectSmallerThanBsdiff(const Pair& p, double ratio) {
  Bytes raw = Must(BsdiffCreate(p.v1, p.v2));
  Bytes elf = Must(ElfPatchCreate(p.v1, p.v2, raw));
  EXPECT_EQ(Must(ElfPatchApply(p.v1, elf, p.v2.size())), p.v2);
  size_t elf_size = Compressed(elf), bsdiff_size = Compressed(raw);
  EXPECT_LE(static_cast<double>(elf_size), ratio * static_cast<double>(bsdiff_size))
      << "elf " << elf_size << " bsdiff " << bsdiff_size;
  ::testing::Test::RecordProperty("elf_bytes", static_cast<int>(elf_size));
  ::testing::Test::RecordProperty("bsdiff_bytes", static_cast<int>(bsdiff_size));
}

TEST(ElfRefsTest, X86RewriteIsABijection) {
  for (int64_t lo = 0; lo < 6; ++lo)
    for (int64_t hi = lo + 1; hi < 20; ++hi)
      for (int64_t pc = 1; pc < 30; ++pc) {
        // The field's domain must hold the targets and their sources.
        const int64_t min = -40, max = 40;
        std::set<int64_t> images;
        for (int64_t s = min; s < max; ++s) {
          int64_t y = X86ToAbsolute(s, pc, lo, hi);
          ASSERT_GE(y, min);
          ASSERT_LT(y, max);
          ASSERT_EQ(X86ToRelative(y, pc, lo, hi), s) << lo << " " << hi << " " << pc << " " << s;
          if (s + pc >= lo && s + pc < hi) {
            ASSERT_EQ(y, s + pc);
          }
          images.insert(y);
        }
        ASSERT_EQ(images.size(), static_cast<size_t>(max - min));
      }
}

TEST(ElfPatchTest, X86PairRoundTripsAndBeatsBsdiff) {
  const Pair* p = ProgramPair("gcc");
  if (p == nullptr) GTEST_SKIP() << "no gcc";
  ExpectSmallerThanBsdiff(*p, kRatio);
}

TEST(ElfPatchTest, AArch64PairRoundTripsAndBeatsBsdiff) {
  const Pair* p = ProgramPair("aarch64-linux-gnu-gcc");
  if (p == nullptr) GTEST_SKIP() << "no aarch64-linux-gnu-gcc (tools/setup.sh installs it)";
  ExpectSmallerThanBsdiff(*p, kRatio);
}

// In an AArch64 base, the low 12 bits an ADD or LDR adds to an ADRP's page
// follow the address map: data that moved by 0x10 within its page gets its
// new offset, as the target has it. Without an ADRP before it, or far
// from one, the instruction stays as it is.
TEST(ElfRefsTest, Arm64Lo12FollowsTheMapAfterAnAdrp) {
  auto word = [](uint32_t w) {
    return Bytes{uint8_t(w), uint8_t(w >> 8), uint8_t(w >> 16), uint8_t(w >> 24)};
  };
  // At 0x1000: adrp x1, 0x3000 (2 pages on); add x1, x1, #0x120; ldr x2, [x1, #0x20];
  // then add x3, x3, #0x120 (x3: no ADRP).
  const uint32_t adrp = 0x90000000u | (2u << 5) | 1;  // immlo 0, immhi 2 -> +2 pages
  const uint32_t add = 0x91000000u | (0x120u << 10) | (1u << 5) | 1;
  const uint32_t ldr = 0xF9400000u | ((0x20u >> 3) << 10) | (1u << 5) | 2;  // 64-bit: offset / 8
  const uint32_t other = 0x91000000u | (0x120u << 10) | (3u << 5) | 3;
  Bytes code;
  for (uint32_t w : {adrp, add, ldr, other}) {
    Bytes b = word(w);
    code.insert(code.end(), b.begin(), b.end());
  }
  ScanLayout layout;
  layout.image_start = 0;
  layout.image_end = 0x10000;
  layout.ranges.push_back({ScanKind::kCode, 0, code.size(), 0x1000});
  AddressMap map({{0x3000, 0x10}});  // everything from 0x3000 on moved up by 0x10
  Bytes out = Must(TransformRefs(ElfMachine::kAArch64, layout, RefDirection::kToAbsoluteMapped, &map, code));
  auto at = [&](size_t i) {
    return uint32_t(out[i]) | uint32_t(out[i + 1]) << 8 | uint32_t(out[i + 2]) << 16 | uint32_t(out[i + 3]) << 24;
  };
  EXPECT_EQ((at(4) >> 10) & 0xFFF, 0x130u);       // add: 0x3120 -> 0x3130
  EXPECT_EQ(((at(8) >> 10) & 0xFFF) << 3, 0x30u);  // ldr: 0x3020 -> 0x3030
  EXPECT_EQ(at(12), other);                        // no ADRP named x3
  // The target side leaves the low bits alone: nothing to undo on apply.
  Bytes target_side =
      Must(TransformRefs(ElfMachine::kAArch64, layout, RefDirection::kToAbsolute, nullptr, code));
  EXPECT_EQ(Bytes(target_side.begin() + 4, target_side.end()), Bytes(code.begin() + 4, code.end()));
}

// The rewrite decides only on bytes it does not change: any chunking of
// the stream gives the same result, and the inverse undoes it exactly.
TEST(ElfRefsTest, StreamedRewriteIgnoresChunkingAndInverts) {
  const Pair* p = ProgramPair("gcc");
  if (p == nullptr) GTEST_SKIP() << "no gcc";
  ElfImage image = Must(ParseElf(p->v2));
  ScanLayout layout = Must(LayoutOf(image, p->v2, false));
  Bytes whole = Must(TransformRefs(image.machine, layout, RefDirection::kToAbsolute, nullptr, p->v2));
  EXPECT_NE(whole, p->v2);
  for (size_t chunk : {1, 3, 7, 4096}) {
    Bytes out;
    RefTransformer undo(image.machine, layout, RefDirection::kToRelative, nullptr, [&](ByteSpan b) {
      out.insert(out.end(), b.begin(), b.end());
      return Status::Ok();
    });
    for (size_t at = 0; at < whole.size(); at += chunk)
      Must(undo.Feed(ByteSpan(whole).subspan(at, std::min(chunk, whole.size() - at))));
    Must(undo.Finish());
    EXPECT_EQ(out, p->v2) << "chunk " << chunk;
  }
}

class ElfPatchRefusalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    p_ = ProgramPair("gcc");
    if (p_ == nullptr) GTEST_SKIP() << "no gcc";
    patch_ = Must(ElfPatchCreate(p_->v1, p_->v2, Must(BsdiffCreate(p_->v1, p_->v2))));
  }
  const Pair* p_ = nullptr;
  Bytes patch_;
};

TEST_F(ElfPatchRefusalTest, TruncatedPatch) {
  for (size_t cut : {size_t{0}, size_t{3}, size_t{6}, size_t{40}, size_t{200}, patch_.size() / 2,
                     patch_.size() - 1}) {
    Bytes part(patch_.begin(), patch_.begin() + static_cast<ptrdiff_t>(cut));
    EXPECT_TRUE(FailsWith(ElfPatchApply(p_->v1, part, p_->v2.size()), StatusCode::kCorruption, "patch"))
        << "cut at " << cut;
  }
}

TEST_F(ElfPatchRefusalTest, AlteredHeader) {
  Bytes bad = patch_;
  bad[0] = 'X';
  EXPECT_TRUE(FailsWith(ElfPatchApply(p_->v1, bad, p_->v2.size()), StatusCode::kCorruption, "bad magic"));
  bad = patch_;
  bad[4] = 2;
  EXPECT_TRUE(FailsWith(ElfPatchApply(p_->v1, bad, p_->v2.size()), StatusCode::kCorruption, "unknown version"));
  bad = patch_;
  bad[5] = 3;
  EXPECT_TRUE(FailsWith(ElfPatchApply(p_->v1, bad, p_->v2.size()), StatusCode::kCorruption, "unknown machine"));
  bad = patch_;
  bad.push_back(0);
  EXPECT_TRUE(FailsWith(ElfPatchApply(p_->v1, bad, p_->v2.size()), StatusCode::kCorruption, "after the last block"));
}

TEST_F(ElfPatchRefusalTest, RangesOutsideTheFiles) {
  // A target shorter than its scanned ranges: the header does not fit it.
  EXPECT_TRUE(FailsWith(ElfPatchApply(p_->v1, patch_, 100), StatusCode::kCorruption, "outside the file"));
  Bytes small(p_->v1.begin(), p_->v1.begin() + 100);
  EXPECT_TRUE(FailsWith(ElfPatchApply(small, patch_, p_->v2.size()), StatusCode::kCorruption, "outside the file"));
}

TEST_F(ElfPatchRefusalTest, WrongBaseDoesNotReproduceTheTarget) {
  // Same size, different bytes: the applier's hash check refuses the result.
  Bytes wrong = p_->v1;
  for (size_t i = wrong.size() / 3; i < wrong.size() / 3 + 64; ++i) wrong[i] ^= 0x5a;
  Result<Bytes> out = ElfPatchApply(wrong, patch_, p_->v2.size());
  EXPECT_TRUE(!out.ok() || *out != p_->v2);
}

TEST(ElfPatchHeaderTest, RoundTripsAndRefusesNonCanonicalAnchors) {
  ElfPatchHeader h;
  h.machine = ElfMachine::kAArch64;
  h.base = {0x1000, 0x9000, {{ScanKind::kCode, 0x1000, 0x100, 0x1000}, {ScanKind::kPointers, 0x2000, 8, 0x3000}}};
  h.target = {0x1000, 0x9000, {{ScanKind::kCode, 0x1000, 0x200, 0x1000}}};
  h.anchors = {{0x1100, 16}, {0x1200, -8}};
  Bytes bytes = EncodeElfPatchHeader(h);
  SpanSource src(bytes);
  EXPECT_EQ(Must(ReadElfPatchHeader(src, 0x3000, 0x3000)), h);
  // A pointer range in the target, an anchor that changes nothing.
  ElfPatchHeader bad = h;
  bad.target.ranges.push_back({ScanKind::kPointers, 0x2000, 8, 0x3000});
  Bytes b1 = EncodeElfPatchHeader(bad);
  SpanSource s1(b1);
  EXPECT_TRUE(FailsWith(ReadElfPatchHeader(s1, 0x3000, 0x3000), StatusCode::kCorruption, "range kind"));
  bad = h;
  bad.anchors[1].shift = 16;
  Bytes b2 = EncodeElfPatchHeader(bad);
  SpanSource s2(b2);
  EXPECT_TRUE(FailsWith(ReadElfPatchHeader(s2, 0x3000, 0x3000), StatusCode::kCorruption, "changes nothing"));
}

TEST(ElfPatchTest, NonElfAndOtherMachinesAreLeftToOtherEngines) {
  Bytes text(20000, 'a');
  Bytes other = text;
  other[100] = 'b';
  EXPECT_TRUE(FailsWith(ElfPatchCreate(text, other, Must(BsdiffCreate(text, other))),
                        StatusCode::kUnsupported, "not ELF"));
  for (const PatchCandidate& c : Must(MakePatches(text, other))) EXPECT_NE(c.engine, OpKind::kPatchElf);
  const Pair* p = ProgramPair("gcc");
  if (p == nullptr) GTEST_SKIP() << "no gcc";
  Bytes arm32 = p->v1, arm32_new = p->v2;
  arm32[18] = arm32_new[18] = 40;  // EM_ARM
  EXPECT_TRUE(FailsWith(ElfPatchCreate(arm32, arm32_new, Must(BsdiffCreate(arm32, arm32_new))),
                        StatusCode::kUnsupported, "machine 40"));
  std::vector<PatchCandidate> patches = Must(MakePatches(p->v1, p->v2));
  ASSERT_FALSE(patches.empty());
  EXPECT_EQ(patches.front().engine, OpKind::kPatchElf);
  for (const PatchCandidate& c : Must(MakePatches(p->v1, p->v2, PatchFeatures{.gnu_gzip = true, .elf = false}))) EXPECT_NE(c.engine, OpKind::kPatchElf);
}

}  // namespace
}  // namespace larch::delta
