// File: repo/delta/superblock_test.cc
#include "repo/delta/superblock.h"

#include <gtest/gtest.h>

#include "repo/objects/commit.h"
#include "repo/repo_test_util.h"

namespace larch::delta {
namespace {

using repo::testing::FailsWith;

DeltaSuperblock Sample() {
  repo::Commit c;
  c.root_tree = repo::ObjectId::HashOf(AsBytes("t"));
  c.root_meta = repo::ObjectId::HashOf(AsBytes("m"));
  c.subject = "v2";
  DeltaSuperblock sb;
  sb.from = repo::ObjectId::HashOf(AsBytes("from"));
  sb.commit = repo::EncodeCommit(c);
  sb.to = repo::ObjectId::HashOf(sb.commit);
  PartInfo p;
  p.compressed_size = 10;
  p.uncompressed_size = 20;
  p.sha256.fill(7);
  p.objects = {{OpKind::kNew, {repo::ObjectId::HashOf(AsBytes("a")), repo::ObjectType::kFile}},
               {OpKind::kMeta, {c.root_tree, repo::ObjectType::kDirTree}},
               {OpKind::kReuse, {repo::ObjectId::HashOf(AsBytes("b")), repo::ObjectType::kFile}}};
  sb.parts = {p, p};
  sb.parts[1].objects = {{OpKind::kPatchBsdiff, {repo::ObjectId::HashOf(AsBytes("c")), repo::ObjectType::kFile}}};
  return sb;
}

TEST(SuperblockTest, RoundTrips) {
  DeltaSuperblock sb = Sample();
  Bytes bytes = EncodeSuperblock(sb);
  auto decoded = DecodeSuperblock(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, sb);
  EXPECT_EQ(decoded->TotalObjects(), 4u);
  EXPECT_EQ(decoded->TotalCompressed(), 20u);
}

TEST(SuperblockTest, RefusesTotalsThatLie) {
  Bytes bytes = EncodeSuperblock(Sample());
  bytes[bytes.size() - 24] ^= 1;  // total compressed
  EXPECT_TRUE(FailsWith(DecodeSuperblock(bytes), StatusCode::kCorruption, "totals do not match"));
}

TEST(SuperblockTest, RefusesEveryTruncationAndTrailingBytes) {
  Bytes bytes = EncodeSuperblock(Sample());
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(DecodeSuperblock(ByteSpan(bytes).first(n)).ok()) << n;
  bytes.push_back(0);
  EXPECT_TRUE(FailsWith(DecodeSuperblock(bytes), StatusCode::kCorruption, "trailing"));
}

TEST(SuperblockTest, RefusesACommitThatIsNotTo) {
  DeltaSuperblock sb = Sample();
  sb.to = repo::ObjectId::HashOf(AsBytes("other"));
  EXPECT_TRUE(FailsWith(ValidateSuperblock(sb), StatusCode::kInvalidArgument, "is not"));
}

TEST(SuperblockTest, RefusesDuplicatesAndTypesThatDoNotFitTheOp) {
  DeltaSuperblock sb = Sample();
  sb.parts[1].objects.push_back(sb.parts[0].objects[0]);
  EXPECT_TRUE(FailsWith(ValidateSuperblock(sb), StatusCode::kInvalidArgument, "listed twice"));
  sb = Sample();
  sb.parts[0].objects[0].key.type = repo::ObjectType::kCommit;
  EXPECT_TRUE(FailsWith(ValidateSuperblock(sb), StatusCode::kInvalidArgument, "cannot be sent as new"));
}

// Where part `index`'s compression byte sits in a version 2 encoding of
// Sample() (part 0 lists 3 objects).
size_t CompressionByteAt(const DeltaSuperblock& sb, size_t index) {
  size_t at = 4 + 1 + 1 + 32 + 32 + 4 + sb.commit.size() + 1 + 4 + 8 + 8 + 32;
  if (index == 1) at += 1 + 4 + 3 * (1 + 1 + 32) + 8 + 8 + 32;
  return at;
}

TEST(SuperblockTest, VersionOneUnlessAPartIsXz) {
  DeltaSuperblock sb = Sample();
  EXPECT_EQ(EncodeSuperblock(sb)[4], 1);  // readable by devices that predate xz parts
  sb.parts[1].compression = PartCompression::kXz;
  Bytes bytes = EncodeSuperblock(sb);
  EXPECT_EQ(bytes[4], 2);
  EXPECT_EQ(bytes[CompressionByteAt(sb, 1)], 1);
  auto decoded = DecodeSuperblock(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, sb);
  EXPECT_EQ(EncodeSuperblock(*decoded), bytes);
}

TEST(SuperblockTest, RefusesUnknownCompressionsAndANeedlessVersion2) {
  DeltaSuperblock sb = Sample();
  sb.parts[1].compression = PartCompression::kXz;
  Bytes bytes = EncodeSuperblock(sb);
  Bytes unknown = bytes;
  unknown[CompressionByteAt(sb, 0)] = kNumPartCompressions;
  EXPECT_TRUE(FailsWith(DecodeSuperblock(unknown), StatusCode::kCorruption, "unknown part compression 2"));
  Bytes all_zstd = bytes;
  all_zstd[CompressionByteAt(sb, 1)] = 0;
  EXPECT_TRUE(FailsWith(DecodeSuperblock(all_zstd), StatusCode::kCorruption, "must be version 1"));
  Bytes v3 = bytes;
  v3[4] = 3;
  EXPECT_TRUE(FailsWith(DecodeSuperblock(v3), StatusCode::kCorruption, "must be version 2"));
  Bytes v4 = bytes;
  v4[4] = 4;
  EXPECT_TRUE(FailsWith(DecodeSuperblock(v4), StatusCode::kCorruption, "must be version 2"));
  Bytes v5 = bytes;
  v5[4] = 5;
  EXPECT_TRUE(FailsWith(DecodeSuperblock(v5), StatusCode::kCorruption, "unknown version 5"));
}

// Devices that predate verity lists refuse a delta that carries one up
// front: a veritylist object, whole or patched, makes the superblock
// version 4, whatever else it holds.
TEST(SuperblockTest, AVerityListMakesVersion4) {
  for (OpKind op : {OpKind::kMeta, OpKind::kMetaPatch}) {
    DeltaSuperblock sb = Sample();
    sb.parts[1].objects.push_back({op, {repo::ObjectId::HashOf(AsBytes("v")), repo::ObjectType::kVerityList}});
    sb.parts[1].objects.push_back({OpKind::kPatchElf, {repo::ObjectId::HashOf(AsBytes("e")), repo::ObjectType::kFile}});
    Bytes bytes = EncodeSuperblock(sb);
    EXPECT_EQ(bytes[4], 4);
    auto decoded = DecodeSuperblock(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, sb);
    Bytes v3 = bytes;
    v3[4] = 3;
    EXPECT_TRUE(FailsWith(DecodeSuperblock(v3), StatusCode::kCorruption, "must be version 4"));
  }
  // Never reused: the device has no verity list of another commit to reuse.
  DeltaSuperblock reuse = Sample();
  reuse.parts[1].objects.push_back(
      {OpKind::kReuse, {repo::ObjectId::HashOf(AsBytes("v")), repo::ObjectType::kVerityList}});
  EXPECT_FALSE(ValidateSuperblock(reuse).ok());
}

// Devices that predate patch-elf and new-gzip refuse the whole delta up
// front: either op makes the superblock version 3.
class SuperblockVersion3Test : public ::testing::TestWithParam<OpKind> {};

TEST_P(SuperblockVersion3Test, ExactlyWithTheNewOps) {
  DeltaSuperblock sb = Sample();
  sb.parts[1].objects[0].op = GetParam();
  ASSERT_EQ(sb.parts[1].objects[0].key.type, repo::ObjectType::kFile);
  Bytes bytes = EncodeSuperblock(sb);
  EXPECT_EQ(bytes[4], 3);
  EXPECT_EQ(bytes[CompressionByteAt(sb, 1)], 0);  // the per-part byte, as in version 2
  auto decoded = DecodeSuperblock(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, sb);
  Bytes v2 = bytes;
  v2[4] = 2;
  EXPECT_TRUE(FailsWith(DecodeSuperblock(v2), StatusCode::kCorruption, "must be version 3"));
}

INSTANTIATE_TEST_SUITE_P(NewOps, SuperblockVersion3Test, ::testing::Values(OpKind::kPatchElf, OpKind::kNewGzip),
                         [](const auto& param_info) { return std::string(param_info.param == OpKind::kPatchElf ? "PatchElf" : "NewGzip"); });

TEST(SuperblockTest, DirNames) {
  repo::ObjectId a = repo::ObjectId::HashOf(AsBytes("a")), b = repo::ObjectId::HashOf(AsBytes("b"));
  EXPECT_EQ(DeltaDirName(std::nullopt, b), "empty-" + b.Hex());
  auto parsed = ParseDeltaDirName(DeltaDirName(a, b));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->from, a);
  EXPECT_EQ(parsed->to, b);
  EXPECT_FALSE(ParseDeltaDirName("empty-xyz"));
  EXPECT_FALSE(ParseDeltaDirName("tmp"));
}

}  // namespace
}  // namespace larch::delta
