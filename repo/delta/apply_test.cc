// File: repo/delta/apply_test.cc
// Generate + apply on small trees, in both store modes, and every kind of
// bad input the issue names: each refused with a message naming what was
// wrong, the device store (objects, refs, staging) exactly as before.
#include "repo/delta/apply.h"

#include <gtest/gtest.h>

#include "repo/delta/delta_test_util.h"
#include "repo/delta/gnu_deflate.h"
#include "repo/delta/limits.h"
#include "repo/delta/part.h"
#include "repo/delta/part_compression.h"
#include "repo/delta/part_xz.h"
#include "repo/delta/part_zstd.h"
#include "repo/delta/zlib_raw.h"
#include "repo/fsck.h"

namespace larch::delta {
namespace {

using namespace testing;  // NOLINT

// Text-like content, where LZMA2 tends to beat zstd.
std::string Words(size_t size) {
  const char* words[] = {"update ", "device ", "system ", "part ", "delta\n", "signed "};
  std::string s;
  for (uint32_t x = 1; s.size() < size; x = x * 1103515245 + 12345) s += words[(x >> 16) % 6];
  return s;
}

// Part `i` decompressed.
Bytes PlainPart(const GeneratedDelta& d, size_t i) {
  SpanSource compressed(d.parts[i]);
  auto raw = Must(OpenPart(compressed, d.superblock.parts[i]));
  return Must(ReadAll(*raw));
}

// Replaces part `i` by `plain` compressed as `c` (call Reseal after).
void Recompress(GeneratedDelta& d, size_t i, const Bytes& plain, PartCompression c) {
  PartInfo& info = d.superblock.parts[i];
  info.uncompressed_size = plain.size();
  info.compression = c;
  d.parts[i] = c == PartCompression::kXz ? Must(CompressPartXz(plain, PartContent::kX86Code))
                                         : Must(CompressPartZstd(plain, 3));
}

// Every part as xz, whether or not the generator would have chosen it.
void AllXz(GeneratedDelta& d) {
  for (size_t i = 0; i < d.parts.size(); ++i) Recompress(d, i, PlainPart(d, i), PartCompression::kXz);
  Reseal(d);
}

void ExpectHealthyAt(const Store& store, const ObjectId& commit) {
  auto ref = Must(ReadRef(store, kBranch));
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(*ref, commit);
  auto report = Must(Fsck(store, FsckOptions{}));
  EXPECT_TRUE(report.ok()) << (report.problems.empty() ? "" : report.problems[0]);
}

class ApplyTest : public ::testing::TestWithParam<StoreMode> {
 protected:
  void SetUp() override {
    if (GetParam() == StoreMode::kBare && ::geteuid() != 0) GTEST_SKIP() << "bare stores need root";
  }
};

TEST_P(ApplyTest, DeltaBringsTheDeviceToV2) {
  Publisher pub;
  GeneratedDelta d = pub.Build(pub.v1);
  EXPECT_GT(d.stats.count[static_cast<size_t>(OpKind::kReuse)], 0u);  // the moved file
  EXPECT_GT(d.stats.count[static_cast<size_t>(OpKind::kPatchZstd)] +
                d.stats.count[static_cast<size_t>(OpKind::kPatchBsdiff)], 1u);  // tool and libfoo
  auto device = pub.Device("device", GetParam());
  auto source = Publish(pub.dir, "delta", d);
  ApplyStats stats = Must(ApplyDelta(*device, *source, Unverified()));
  EXPECT_EQ(stats.commit, pub.v2);
  ExpectHealthyAt(*device, pub.v2);
  // Running it again finds everything present and still succeeds.
  auto again = Publish(pub.dir, "delta-again", d);
  Must(ApplyDelta(*device, *again, Unverified()));
  ExpectHealthyAt(*device, pub.v2);
}

TEST_P(ApplyTest, FullDeltaIntoAnEmptyStore) {
  Publisher pub;
  GeneratedDelta d = pub.Build(std::nullopt);
  auto device = NewStore(pub.dir.Sub("device"), GetParam());
  auto source = Publish(pub.dir, "full", d);
  Must(ApplyDelta(*device, *source, Unverified()));
  ExpectHealthyAt(*device, pub.v2);
}

TEST_P(ApplyTest, LargeNewFilesAreStreamed) {
  Publisher pub;
  WriteTestFile(pub.tree2 + "/usr/lib/big", Binary(3, kMaxPatchInput + 100000));
  CommitOptions o = VersionOptions(3);
  ObjectId v3 = Must(CommitTree(*pub.store, pub.tree2, o)).commit;
  GenerateOptions options;
  options.from = pub.v1;
  options.to = v3;
  options.part_target = 1 << 20;  // several parts
  options.part_level = 3;
  GeneratedDelta d = Must(BuildDelta(*pub.store, options));
  EXPECT_GT(d.parts.size(), 1u);
  auto device = pub.Device("device", GetParam());
  auto source = Publish(pub.dir, "delta", d);
  Must(ApplyDelta(*device, *source, Unverified()));
  ExpectHealthyAt(*device, v3);
}

// The op that carries the delta's verity list; nullopt when none does.
std::optional<OpKind> VerityListOp(const GeneratedDelta& d) {
  for (const PartInfo& part : d.superblock.parts)
    for (const PartObject& o : part.objects)
      if (o.key.type == ObjectType::kVerityList) return o.op;
  return std::nullopt;
}

TEST_P(ApplyTest, TheVerityListTravelsAsAPatchAgainstTheSourceList) {
  Publisher pub;
  const ObjectId list2 = *Must(VerityListOf(Must(pub.store->ReadCommit(pub.v2))));
  GeneratedDelta d = pub.Build(pub.v1);
  EXPECT_EQ(VerityListOp(d), OpKind::kMetaPatch);
  EXPECT_EQ(EncodeSuperblock(d.superblock)[4], 4);  // older appliers refuse it up front
  auto device = pub.Device("device", GetParam());
  auto source = Publish(pub.dir, "delta", d);
  Must(ApplyDelta(*device, *source, Unverified()));
  ExpectHealthyAt(*device, pub.v2);  // fsck: the list is there and intact
  EXPECT_EQ(Must(device->ReadVerityList(list2)), Must(pub.store->ReadVerityList(list2)));
  // From nothing: the whole list.
  EXPECT_EQ(VerityListOp(pub.Build(std::nullopt)), OpKind::kMeta);
}

TEST_P(ApplyTest, XzPartsApplyLikeZstdParts) {
  Publisher pub;
  GeneratedDelta d = pub.Build(pub.v1);
  AllXz(d);
  auto device = pub.Device("device", GetParam());
  auto source = Publish(pub.dir, "delta", d);
  Must(ApplyDelta(*device, *source, Unverified()));
  ExpectHealthyAt(*device, pub.v2);
}

TEST_P(ApplyTest, GeneratorKeepsTheSmallerCompressionPerPart) {
  Publisher pub;
  WriteTestFile(pub.tree2 + "/usr/share/doc/new.txt", Words(400000));
  ObjectId v3 = Must(CommitTree(*pub.store, pub.tree2, OlderDeviceOptions(3))).commit;
  GenerateOptions options;
  options.to = v3;
  options.part_target = 64 << 10;  // several parts, each decided alone
  options.xz_parts = false;
  options.gzip_recipes = false;
  GeneratedDelta zstd_only = Must(BuildDelta(*pub.store, options));
  options.xz_parts = true;
  GeneratedDelta d = Must(BuildDelta(*pub.store, options));
  EXPECT_EQ(EncodeSuperblock(zstd_only.superblock)[4], 1);
  EXPECT_LE(d.stats.parts_bytes, zstd_only.stats.parts_bytes);
  auto device = NewStore(pub.dir.Sub("device"), GetParam());
  auto source = Publish(pub.dir, "full", d);
  Must(ApplyDelta(*device, *source, Unverified()));
  ExpectHealthyAt(*device, v3);
}

// A gzip member around `deflated` (zlib's or GNU gzip's deflate of `text`).
std::string GzipMember(const std::string& text, const Bytes& deflated) {
  std::string out = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, 2, 3};
  out.append(deflated.begin(), deflated.end());
  uint32_t crc = *Crc32(AsBytes(text)), size = static_cast<uint32_t>(text.size());
  for (uint32_t v : {crc, size})
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  return out;
}

TEST_P(ApplyTest, NewGzipFilesTravelDecompressedAndAreRebuiltExactly) {
  Publisher pub;
  // Repeats further apart than deflate's 32 KiB window: the part's
  // compressor sees them in the decompressed content.
  std::string page, log;
  for (int i = 0; i < 6; ++i) page += Words(50000) + "section " + std::to_string(i) + "\n";
  for (int i = 0; i < 3; ++i) log += "version " + std::to_string(i) + "\n" + Words(40000);
  std::filesystem::create_directories(pub.tree2 + "/usr/share/man/man1");
  std::filesystem::create_directories(pub.tree2 + "/usr/share/doc");
  WriteTestFile(pub.tree2 + "/usr/share/man/man1/tool.1.gz", GzipMember(page, GnuDeflateAll(AsBytes(page), 9)));
  WriteTestFile(pub.tree2 + "/usr/share/doc/changelog.gz", GzipMember(log, *RawDeflate(AsBytes(log), 9, 8)));
  ObjectId v3 = Must(CommitTree(*pub.store, pub.tree2, OlderDeviceOptions(3))).commit;
  GenerateOptions options;
  options.from = pub.v1;
  options.to = v3;
  GeneratedDelta d = Must(BuildDelta(*pub.store, options));
  EXPECT_EQ(d.stats.count[static_cast<size_t>(OpKind::kNewGzip)], 2u);
  EXPECT_EQ(EncodeSuperblock(d.superblock)[4], 3);  // older appliers refuse it up front
  auto device = pub.Device("device", GetParam());
  auto source = Publish(pub.dir, "delta", d);
  Must(ApplyDelta(*device, *source, Unverified()));
  ExpectHealthyAt(*device, v3);
  // For older appliers: none of it.
  options.gzip_recipes = false;
  options.xz_parts = false;
  GeneratedDelta old = Must(BuildDelta(*pub.store, options));
  EXPECT_EQ(old.stats.count[static_cast<size_t>(OpKind::kNewGzip)], 0u);
  EXPECT_EQ(EncodeSuperblock(old.superblock)[4], 1);
}

INSTANTIATE_TEST_SUITE_P(Modes, ApplyTest, ::testing::Values(StoreMode::kArchive, StoreMode::kBare));

// --- bad input: refused, store unchanged ---

class BadDeltaTest : public ::testing::Test {
 protected:
  Publisher pub;
  GeneratedDelta d = pub.Build(pub.v1);
  std::unique_ptr<Store> device = pub.Device("device", StoreMode::kArchive);

  void ExpectRefused(StatusCode code, const std::string& needle) {
    auto before = SnapshotTree(device->path());
    auto source = Publish(pub.dir, "bad", d);
    EXPECT_TRUE(FailsWith(ApplyDelta(*device, *source, Unverified()), code, needle));
    EXPECT_EQ(SnapshotTree(device->path()), before);
    EXPECT_EQ(*Must(ReadRef(*device, kBranch)), pub.v1);
  }
};

TEST_F(BadDeltaTest, TruncatedPart) {
  d.parts[0].pop_back();
  ExpectRefused(StatusCode::kCorruption, "part 0 is truncated");
}

TEST_F(BadDeltaTest, FlippedByteInAPart) {
  d.parts[0][d.parts[0].size() / 2] ^= 0x40;
  ExpectRefused(StatusCode::kCorruption, "part 0 does not match its SHA-256");
}

// A publisher's (signed, hash-matching) xz part that is itself broken.
TEST_F(BadDeltaTest, TruncatedXzStream) {
  AllXz(d);
  d.parts[0].resize(d.parts[0].size() - 20);
  Reseal(d);
  ExpectRefused(StatusCode::kCorruption, "delta part: xz:");
}

TEST_F(BadDeltaTest, DamagedXzStream) {
  AllXz(d);
  d.parts[0][d.parts[0].size() / 2] ^= 0x40;
  Reseal(d);
  ExpectRefused(StatusCode::kCorruption, "part 0");
}

TEST_F(BadDeltaTest, XzPartListedAsZstd) {
  AllXz(d);
  d.superblock.parts[0].compression = PartCompression::kZstd;
  Reseal(d);
  ExpectRefused(StatusCode::kCorruption, "not a zstd frame");
}

TEST_F(BadDeltaTest, SuperblockWhoseCompressedSizeLies) {
  d.superblock.parts[0].compressed_size += 1;
  Reseal(d, true);
  ExpectRefused(StatusCode::kCorruption, "part 0 is truncated");
}

TEST_F(BadDeltaTest, SuperblockWhoseUncompressedSizeLies) {
  d.superblock.parts[0].uncompressed_size -= 1;
  Reseal(d);
  ExpectRefused(StatusCode::kCorruption, "the superblock");
}

TEST_F(BadDeltaTest, SuperblockThatListsOtherObjects) {
  std::swap(d.superblock.parts[0].objects[0], d.superblock.parts[0].objects[1]);
  Reseal(d);
  ExpectRefused(StatusCode::kCorruption, "the superblock lists");
}

TEST_F(BadDeltaTest, PatchAgainstTheWrongBase) {
  // Re-point the first patch at another file of v1, keeping the patch.
  ObjectId other = FileKeyAt(*pub.store, pub.v1, "/etc/unchanged").id;
  bool found = false;
  EditOps(d, [&](std::vector<PartOp>& ops, std::vector<PartObject>&) {
    for (PartOp& op : ops) {
      if (!IsPatch(op.head.kind) || found) continue;
      op.head.base = other;
      found = true;
    }
  });
  ASSERT_TRUE(found);
  ExpectRefused(StatusCode::kCorruption, "does not reproduce it (wrong base?)");
}

TEST_F(BadDeltaTest, DeltaThatLeavesAnObjectOut) {
  bool dropped = false;
  EditOps(d, [&](std::vector<PartOp>& ops, std::vector<PartObject>& listed) {
    for (size_t j = 0; j < ops.size() && !dropped; ++j) {
      if (ops[j].head.key.type != repo::ObjectType::kFile || ops[j].head.kind == OpKind::kReuse) continue;
      ops.erase(ops.begin() + static_cast<long>(j));
      listed.erase(listed.begin() + static_cast<long>(j));
      dropped = true;
    }
  });
  ASSERT_TRUE(dropped);
  ExpectRefused(StatusCode::kCorruption, "is still missing");
}

TEST_F(BadDeltaTest, SourceCommitMissing) {
  device = NewStore(pub.dir.Sub("empty-device"), StoreMode::kArchive);
  auto before = SnapshotTree(device->path());
  auto source = Publish(pub.dir, "bad", d);
  EXPECT_TRUE(FailsWith(ApplyDelta(*device, *source, Unverified()), StatusCode::kNotFound,
                        "which is not in this store"));
  EXPECT_EQ(SnapshotTree(device->path()), before);
}

}  // namespace
}  // namespace larch::delta
