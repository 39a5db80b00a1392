// File: repo/objects/verity_list_test.cc
#include "repo/objects/verity_list.h"

#include <gtest/gtest.h>

#include "repo/objects/objects_test_util.h"
#include "src/encoding/encoding.h"

namespace larch::repo {
namespace {

using testing::ExpectCanonical;
using testing::ExpectCorruption;
using testing::ExpectInvalid;
using testing::MakeRecode;
using testing::TestId;

crypto::FsVerityDigest Digest(uint8_t seed) {
  crypto::FsVerityDigest d;
  d.fill(seed);
  return d;
}

VerityList Sample() { return VerityList{{{TestId(1), Digest(0xa1)}, {TestId(7), Digest(0xa7)}}}; }

TEST(VerityList, RoundTripsCanonically) {
  ExpectCanonical(EncodeVerityList(Sample()), MakeRecode(DecodeVerityList, EncodeVerityList));
  ExpectCanonical(EncodeVerityList(VerityList{}), MakeRecode(DecodeVerityList, EncodeVerityList));
  EXPECT_EQ(*DecodeVerityList(EncodeVerityList(Sample())), Sample());
}

TEST(VerityList, LayoutIsTagVersionCountPairs) {
  Bytes b = EncodeVerityList(Sample());
  ASSERT_EQ(b.size(), 2u + 4u + 2u * 64u);
  EXPECT_EQ(b[0], 6);  // ObjectType::kVerityList
  EXPECT_EQ(b[1], 1);
  EXPECT_EQ(b[2], 2);  // u32 count, little-endian
}

TEST(VerityList, FindsByFileId) {
  VerityList list = Sample();
  ASSERT_NE(list.Find(TestId(7)), nullptr);
  EXPECT_EQ(list.Find(TestId(7))->digest, Digest(0xa7));
  EXPECT_EQ(list.Find(TestId(3)), nullptr);
  EXPECT_EQ(VerityList{}.Find(TestId(1)), nullptr);
}

TEST(VerityList, EntriesMustBeStrictlyIncreasing) {
  VerityList twice{{{TestId(1), Digest(1)}, {TestId(1), Digest(2)}}};
  ExpectInvalid(ValidateVerityList(twice), "entry 1 (file 0101");
  VerityList backwards{{{TestId(7), Digest(1)}, {TestId(1), Digest(2)}}};
  ExpectInvalid(ValidateVerityList(backwards), "strictly increasing by file id");
  // The same rule from the decoder, as corruption.
  encoding::Encoder enc;
  enc.U8(6);
  enc.U8(1);
  enc.U32(2);
  for (uint8_t seed : {uint8_t{7}, uint8_t{1}}) {
    enc.Raw(TestId(seed).bytes());
    enc.Raw(Digest(seed));
  }
  ExpectCorruption(DecodeVerityList(enc.Take()), "strictly increasing");
}

TEST(VerityList, ACountBeyondTheBytesIsRefusedBeforeReserving) {
  encoding::Encoder enc;
  enc.U8(6);
  enc.U8(1);
  enc.U32(0xffffffffu);
  ExpectCorruption(DecodeVerityList(enc.Take()), "veritylist");
}

TEST(VerityList, TheCommitNamesItsList) {
  Commit c;
  EXPECT_EQ(*VerityListOf(c), std::nullopt);
  c.metadata["verity-list"] = TestId(9).Hex();
  EXPECT_EQ(*VerityListOf(c), TestId(9));
  c.metadata["verity-list"] = "not-an-id";
  Result<std::optional<ObjectId>> bad = VerityListOf(c);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsCorruption());
  EXPECT_NE(bad.status().message().find("commit metadata verity-list: invalid object id"), std::string::npos)
      << bad.status().ToString();
}

}  // namespace
}  // namespace larch::repo
