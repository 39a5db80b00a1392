// File: repo/delta/part_test.cc
#include "repo/delta/part.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "repo/delta/gzip_recipe.h"

#include "repo/delta/limits.h"
#include "repo/delta/part_zstd.h"
#include "repo/repo_test_util.h"

namespace larch::delta {
namespace {

using repo::testing::FailsWith;

std::vector<PartOp> SampleOps() {
  repo::FileHeader file;
  file.mode = S_IFREG | 0644;
  file.size = 5;
  repo::FileHeader link;
  link.kind = repo::FileKind::kSymlink;
  link.mode = S_IFLNK | 0777;
  link.symlink_target = "x";
  std::vector<PartOp> ops(6);
  ops[0].head = {OpKind::kNew, {repo::ObjectId::HashOf(AsBytes("1")), repo::ObjectType::kFile}, file, {}, 5, 0, {}};
  ops[0].payload = {'h', 'e', 'l', 'l', 'o'};
  ops[1].head = {OpKind::kNew, {repo::ObjectId::HashOf(AsBytes("2")), repo::ObjectType::kFile}, link, {}, 0, 0, {}};
  ops[2].head = {OpKind::kPatchZstd, {repo::ObjectId::HashOf(AsBytes("3")), repo::ObjectType::kFile}, file,
                 repo::ObjectId::HashOf(AsBytes("base")), 3, 0, {}};
  ops[2].payload = {1, 2, 3};
  ops[3].head = {OpKind::kMeta, {repo::ObjectId::HashOf(AsBytes("4")), repo::ObjectType::kDirMeta}, {}, {}, 2, 0, {}};
  ops[3].payload = {9, 9};
  ops[4].head = {OpKind::kReuse, {repo::ObjectId::HashOf(AsBytes("5")), repo::ObjectType::kFile}, {}, {}, 0, 0, {}};
  GzipRecipe gnu{{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3}, GzipRecipe::Mode::kGnuGzip, 9, 0};
  ops[5].head = {OpKind::kNewGzip, {repo::ObjectId::HashOf(AsBytes("6")), repo::ObjectType::kFile}, file, {}, 4, 0, gnu};
  ops[5].payload = {'t', 'e', 'x', 't'};
  return ops;
}

TEST(PartTest, RoundTrips) {
  Bytes bytes = EncodePart(SampleOps());
  auto decoded = DecodePart(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, SampleOps());
  EXPECT_EQ(EncodePart(*decoded), bytes);
}

TEST(PartTest, RefusesEveryTruncationAndTrailingBytes) {
  Bytes bytes = EncodePart(SampleOps());
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(DecodePart(ByteSpan(bytes).first(n)).ok()) << n;
  bytes.push_back(0);
  EXPECT_TRUE(FailsWith(DecodePart(bytes), StatusCode::kCorruption, "trailing bytes"));
}

TEST(PartTest, RefusesAPatchOfASymlink) {
  std::vector<PartOp> ops = SampleOps();
  ops[2].head.header = ops[1].head.header;
  EXPECT_TRUE(FailsWith(DecodePart(EncodePart(ops)), StatusCode::kCorruption, "patch of a symlink"));
}

TEST(PartTest, RefusesUnknownOpsAndTypes) {
  Bytes bytes = EncodePart({SampleOps()[4]});
  bytes[9] = kNumOpKinds + 1;
  EXPECT_TRUE(FailsWith(DecodePart(bytes), StatusCode::kCorruption, "bad operation 10"));
  bytes[9] = static_cast<uint8_t>(OpKind::kReuse);
  bytes[10] = 4;  // a commit
  EXPECT_TRUE(FailsWith(DecodePart(bytes), StatusCode::kCorruption, "not allowed"));
}

TEST(PartTest, RefusesBadGzipRecipes) {
  std::vector<PartOp> ops = {SampleOps()[5]};
  Bytes bytes = EncodePart(ops);
  size_t recipe = bytes.size() - 4 - 8 - kGzipRecipeSize;
  auto with = [&](size_t at, uint8_t v) {
    Bytes b = bytes;
    b[recipe + at] = v;
    return DecodePart(b);
  };
  EXPECT_TRUE(FailsWith(with(0, 0x1e), StatusCode::kCorruption, "not a plain gzip header"));
  EXPECT_TRUE(FailsWith(with(10, 3), StatusCode::kCorruption, "unknown gzip mode"));
  EXPECT_TRUE(FailsWith(with(11, 0), StatusCode::kCorruption, "level out of range"));
  EXPECT_TRUE(FailsWith(with(12, 8), StatusCode::kCorruption, "takes no memLevel"));
  ops[0].head.header = SampleOps()[1].head.header;
  EXPECT_TRUE(FailsWith(DecodePart(EncodePart(ops)), StatusCode::kCorruption, "gzip member that is a symlink"));
}

Result<Bytes> Decompress(ByteSpan compressed, uint64_t expected) {
  SpanSource src(compressed);
  LARCH_ASSIGN_OR_RETURN(auto d, OpenZstdPart(src, expected));
  return ReadAll(*d);
}

TEST(PartCompressionTest, OneFrameOfExactlyTheDeclaredSize) {
  Bytes raw(300000, 'a');
  for (size_t i = 0; i < raw.size(); i += 7) raw[i] = static_cast<uint8_t>(i);
  Bytes z = *CompressPartZstd(raw, 3);
  auto back = Decompress(z, raw.size());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, raw);
  EXPECT_TRUE(FailsWith(Decompress(z, raw.size() - 1), StatusCode::kCorruption, "declares"));
  EXPECT_TRUE(FailsWith(Decompress(ByteSpan(z).first(z.size() - 3), raw.size()), StatusCode::kCorruption,
                        "truncated"));
  Bytes two = z;
  two.insert(two.end(), z.begin(), z.end());
  EXPECT_TRUE(FailsWith(Decompress(two, raw.size()), StatusCode::kCorruption, "trailing bytes"));
}

}  // namespace
}  // namespace larch::delta
