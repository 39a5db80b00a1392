// File: repo/objects/commitmeta_test.cc
#include "repo/objects/commitmeta.h"

#include <gtest/gtest.h>

#include "repo/objects/objects_test_util.h"
#include "src/encoding/encoding.h"

namespace larch::repo {
namespace {

using testing::ExpectCanonical;
using testing::ExpectCorruption;
using testing::ExpectInvalid;
using testing::MakeRecode;

CommitSignature Sig(uint8_t key, uint8_t fill) {
  CommitSignature s;
  s.key_id.fill(key);
  s.signature.fill(fill);
  return s;
}

Bytes RawMeta(const std::vector<CommitSignature>& sigs) {
  encoding::Encoder enc;
  enc.U8(5);
  enc.U8(1);
  enc.U32(static_cast<uint32_t>(sigs.size()));
  for (const auto& s : sigs) {
    enc.Raw(s.key_id);
    enc.Raw(s.signature);
  }
  return enc.Take();
}

TEST(CommitMetaTest, GoldenLayout) {
  CommitMeta m{{Sig(0x11, 0x22)}};
  Bytes expected{5, 1, 1, 0, 0, 0};
  expected.insert(expected.end(), 32, 0x11);
  expected.insert(expected.end(), 64, 0x22);
  EXPECT_EQ(EncodeCommitMeta(m), expected);
}

TEST(CommitMetaTest, RoundTripAndCanonical) {
  const auto recode = MakeRecode(&DecodeCommitMeta, &EncodeCommitMeta);
  for (const CommitMeta& m : {CommitMeta{}, CommitMeta{{Sig(1, 9), Sig(2, 9), Sig(0xf0, 1)}}}) {
    ASSERT_TRUE(ValidateCommitMeta(m).ok());
    EXPECT_EQ(*DecodeCommitMeta(EncodeCommitMeta(m)), m);
    ExpectCanonical(EncodeCommitMeta(m), recode);
  }
}

TEST(CommitMetaTest, RejectsUnsortedAndDuplicateKeys) {
  ExpectCorruption(DecodeCommitMeta(RawMeta({Sig(2, 0), Sig(1, 0)})),
                   "commitmeta: signatures not sorted by key id");
  ExpectCorruption(DecodeCommitMeta(RawMeta({Sig(1, 0), Sig(1, 5)})),
                   "duplicate signature by key 0101");
  // A difference in the last byte of the key id counts.
  CommitSignature a = Sig(1, 0);
  CommitSignature b = Sig(1, 0);
  b.key_id[31] = 0;
  ExpectCorruption(DecodeCommitMeta(RawMeta({a, b})), "not sorted");
  EXPECT_TRUE(DecodeCommitMeta(RawMeta({b, a})).ok());
}

TEST(CommitMetaTest, RejectsCountsAndFraming) {
  std::vector<CommitSignature> many;
  for (size_t i = 0; i <= kMaxSignatures; ++i) {
    many.push_back(Sig(static_cast<uint8_t>(i), 0));
  }
  ExpectCorruption(DecodeCommitMeta(RawMeta(many)), "count 65 exceeds limit 64");
  many.pop_back();
  EXPECT_TRUE(DecodeCommitMeta(RawMeta(many)).ok());
  ExpectCorruption(DecodeCommitMeta(Bytes{5, 1, 2, 0, 0, 0}), "cannot fit");
  ExpectCorruption(DecodeCommitMeta(Bytes{5, 1, 0, 0, 0, 0, 0}), "trailing");
  ExpectCorruption(DecodeCommitMeta(Bytes{4, 1, 0, 0, 0, 0}), "wrong type tag 4 (want 5)");
  ExpectCorruption(DecodeCommitMeta(Bytes{5, 2, 0, 0, 0, 0}), "unsupported format version 2");
  ExpectCorruption(DecodeCommitMeta(Bytes{5, 1, 0, 0, 0}), "truncated");
}

TEST(CommitMetaTest, ValidateUsesInvalidArgument) {
  CommitMeta m{{Sig(3, 0), Sig(3, 0)}};
  ExpectInvalid(ValidateCommitMeta(m), "commitmeta: duplicate signature");
  m.signatures.assign(kMaxSignatures + 1, Sig(0, 0));
  ExpectInvalid(ValidateCommitMeta(m), "more than 64 signatures");
}

}  // namespace
}  // namespace larch::repo
