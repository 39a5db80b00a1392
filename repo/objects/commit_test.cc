// File: repo/objects/commit_test.cc
#include "repo/objects/commit.h"

#include <gtest/gtest.h>

#include "repo/objects/objects_test_util.h"
#include "src/base/hex.h"
#include "src/encoding/encoding.h"

namespace larch::repo {
namespace {

using testing::ExpectCanonical;
using testing::ExpectCorruption;
using testing::ExpectInvalid;
using testing::MakeRecode;
using testing::TestId;

Commit Sample() {
  Commit c;
  c.root_tree = TestId(1);
  c.root_meta = TestId(2);
  c.parent = TestId(3);
  c.timestamp = 1700000000;
  c.subject = "Release 42";
  c.body = "Line one\nline two\n";
  c.metadata = {{"arch", "aarch64"}, {"compatible", "board-a board-b"}, {"version", "42"}};
  return c;
}

// Unchecked encoder for forging inputs; metadata in the given order.
Bytes RawCommit(uint8_t parent_flag,
                const std::vector<std::pair<std::string, std::string>>& metadata) {
  encoding::Encoder enc;
  enc.U8(4);
  enc.U8(1);
  enc.Raw(TestId(1).bytes());
  enc.Raw(TestId(2).bytes());
  enc.U8(parent_flag);
  if (parent_flag == 1) enc.Raw(TestId(3).bytes());
  enc.U64(7);
  enc.Str("s");
  enc.Str("");
  enc.U32(static_cast<uint32_t>(metadata.size()));
  for (const auto& [k, v] : metadata) {
    enc.Str(k);
    enc.Str(v);
  }
  return enc.Take();
}

TEST(CommitTest, GoldenLayout) {
  Commit c;
  c.root_tree = TestId(0xaa);
  c.root_meta = TestId(0xbb);
  c.timestamp = 0x0102;
  c.subject = "s";
  c.metadata = {{"k", "v"}};
  EXPECT_EQ(HexEncode(EncodeCommit(c)),
            "0401" + std::string(64, 'a') + std::string(64, 'b') +  // tag, version, ids
            "00"                                                   // no parent
            "0201000000000000"                                     // timestamp
            "01000000" "73"                                        // subject "s"
            "00000000"                                             // empty body
            "01000000" "01000000" "6b" "01000000" "76");           // {"k": "v"}
}

TEST(CommitTest, RoundTripsAndCanonical) {
  Commit no_parent = Sample();
  no_parent.parent.reset();
  no_parent.metadata.clear();
  const auto recode = MakeRecode(&DecodeCommit, &EncodeCommit);
  for (const Commit& c : {Sample(), no_parent, Commit{}}) {
    ASSERT_TRUE(ValidateCommit(c).ok()) << ValidateCommit(c).ToString();
    auto back = DecodeCommit(EncodeCommit(c));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, c);
    ExpectCanonical(EncodeCommit(c), recode);
  }
}

TEST(CommitTest, MetadataKeys) {
  const std::vector<std::string> good = {"version", "content-size", "a", "0", "x.y_z-1",
                                         std::string(kMaxMetadataKey, 'k')};
  for (const std::string& ok : good) {
    EXPECT_TRUE(IsValidMetadataKey(ok)) << ok;
  }
  const std::vector<std::string> bad_keys = {"",    "Version", "-x",  ".x",
                                             "_x",  "a b",     "a/b", "\xc3\xa4",
                                             std::string("a\0", 2),
                                             std::string(kMaxMetadataKey + 1, 'k')};
  for (const std::string& bad : bad_keys) {
    EXPECT_FALSE(IsValidMetadataKey(bad)) << bad;
  }
}

TEST(CommitTest, RejectsParentFlag) {
  EXPECT_TRUE(DecodeCommit(RawCommit(0, {})).ok());
  EXPECT_EQ(DecodeCommit(RawCommit(1, {}))->parent, TestId(3));
  ExpectCorruption(DecodeCommit(RawCommit(2, {})), "commit: invalid parent flag 2");
  ExpectCorruption(DecodeCommit(RawCommit(0xff, {})), "invalid parent flag 255");
}

TEST(CommitTest, RejectsMetadata) {
  ExpectCorruption(DecodeCommit(RawCommit(0, {{"b", "1"}, {"a", "2"}})),
                   "commit: metadata keys not sorted: \"a\" after \"b\"");
  ExpectCorruption(DecodeCommit(RawCommit(0, {{"a", "1"}, {"a", "2"}})),
                   "duplicate metadata key \"a\"");
  ExpectCorruption(DecodeCommit(RawCommit(0, {{"Bad", "1"}})), "invalid metadata key \"Bad\"");
  ExpectCorruption(DecodeCommit(RawCommit(0, {{std::string(65, 'k'), "1"}})),
                   "exceeds limit 64");
  ExpectCorruption(DecodeCommit(RawCommit(0, {{"k", std::string(kMaxMetadataValue + 1, 'v')}})),
                   "exceeds limit 65536");
  std::vector<std::pair<std::string, std::string>> many;
  for (size_t i = 0; i <= kMaxMetadataEntries; ++i) {
    char key[8];
    std::snprintf(key, sizeof(key), "k%04zu", i);
    many.emplace_back(key, "");
  }
  ExpectCorruption(DecodeCommit(RawCommit(0, many)), "count 257 exceeds limit 256");
  many.pop_back();
  EXPECT_TRUE(DecodeCommit(RawCommit(0, many)).ok());
}

TEST(CommitTest, RejectsTextLimits) {
  Commit c = Sample();
  c.subject = std::string(kMaxSubject + 1, 's');
  ExpectInvalid(ValidateCommit(c), "subject exceeds 4096 bytes");
  c = Sample();
  c.body = std::string(kMaxBody + 1, 'b');
  ExpectInvalid(ValidateCommit(c), "body exceeds 1048576 bytes");
  // The decoder refuses the same via the length limits.
  encoding::Encoder enc;
  enc.U8(4);
  enc.U8(1);
  enc.Raw(Bytes(64, 0));
  enc.U8(0);
  enc.U64(0);
  enc.Str(std::string(kMaxSubject + 1, 's'));
  ExpectCorruption(DecodeCommit(enc.bytes()), "length 4097 exceeds limit 4096");
}

TEST(CommitTest, RejectsFraming) {
  Bytes good = EncodeCommit(Sample());
  Bytes bad = good;
  bad[0] = 5;
  ExpectCorruption(DecodeCommit(bad), "wrong type tag 5 (want 4)");
  bad = good;
  bad[1] = 2;
  ExpectCorruption(DecodeCommit(bad), "unsupported format version 2");
  bad = good;
  bad.push_back(0);
  ExpectCorruption(DecodeCommit(bad), "trailing");
  ExpectCorruption(DecodeCommit(ByteSpan(good).first(70)), "truncated");
}

TEST(CommitTest, ValidateUsesInvalidArgument) {
  Commit c = Sample();
  c.metadata["Upper"] = "x";
  ExpectInvalid(ValidateCommit(c), "commit: invalid metadata key \"Upper\"");
  c = Sample();
  c.metadata["k"] = std::string(kMaxMetadataValue + 1, 'v');
  ExpectInvalid(ValidateCommit(c), "value exceeds 65536 bytes");
}

}  // namespace
}  // namespace larch::repo
