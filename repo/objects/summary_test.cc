// File: repo/objects/summary_test.cc
#include "repo/objects/summary.h"

#include <gtest/gtest.h>

#include "repo/objects/signed_envelope.h"

namespace larch::repo {
namespace {

ObjectId Id(uint8_t seed) { return ObjectId::HashOf(Bytes{seed}); }

Summary Sample() {
  Summary s;
  s.serial = 7;
  s.timestamp = 1000;
  s.expires = 2000;
  s.store_mode = "archive";
  s.refs = {{"os/stable", Id(1), 321, "1.2.3", 999}, {"os/testing", Id(2), 400, "", 998}};
  SummaryDelta full{std::nullopt, Id(1), 50, {}};
  SummaryDelta from2{Id(2), Id(1), 60, {}};
  full.superblock_sha256[0] = 1;
  s.deltas = {full, from2};
  s.dictionaries = {{0x1234, 1 << 20, {}}};
  s.metadata = {{"title", "demo"}};
  return s;
}

TEST(Summary, RoundTrip) {
  Summary s = Sample();
  ASSERT_TRUE(ValidateSummary(s).ok()) << ValidateSummary(s).message();
  Bytes enc = EncodeSummary(s);
  auto dec = DecodeSummary(enc);
  ASSERT_TRUE(dec.ok()) << dec.status().message();
  EXPECT_EQ(dec.value(), s);
  ASSERT_NE(dec.value().FindRef("os/testing"), nullptr);
  EXPECT_EQ(dec.value().FindRef("os/testing")->commit, Id(2));
  EXPECT_EQ(dec.value().FindRef("os/nothing"), nullptr);
}

TEST(Summary, EveryTruncationRefused) {
  Bytes enc = EncodeSummary(Sample());
  for (size_t n = 0; n < enc.size(); ++n) {
    auto dec = DecodeSummary(ByteSpan(enc.data(), n));
    ASSERT_FALSE(dec.ok()) << "prefix of " << n << " bytes accepted";
    EXPECT_EQ(dec.status().code(), StatusCode::kCorruption);
  }
  Bytes longer = enc;
  longer.push_back(0);
  EXPECT_FALSE(DecodeSummary(longer).ok());
}

TEST(Summary, RulesEnforced) {
  Summary s = Sample();
  std::swap(s.refs[0], s.refs[1]);
  EXPECT_FALSE(ValidateSummary(s).ok());
  s = Sample();
  s.expires = s.timestamp;
  EXPECT_FALSE(ValidateSummary(s).ok());
  s = Sample();
  s.store_mode = "zip";
  EXPECT_FALSE(ValidateSummary(s).ok());
  s = Sample();
  s.refs[1].name = "os/stable";
  EXPECT_FALSE(ValidateSummary(s).ok());
  s = Sample();
  std::swap(s.deltas[0], s.deltas[1]);
  EXPECT_FALSE(ValidateSummary(s).ok());
}

TEST(Summary, RolloutControlIsVersionTwoAndChecked) {
  Summary s = Sample();
  EXPECT_EQ(EncodeSummary(s)[1], 1);  // no rollout control: readable by devices before it
  s.rollouts = {{"os/stable", Id(1), 1000, false}};
  s.recalls = {{"os/testing", Id(2), SummaryRef{"os/testing", Id(3), 300, "0.9", 900}}};
  ASSERT_TRUE(ValidateSummary(s).ok()) << ValidateSummary(s).message();
  Bytes enc = EncodeSummary(s);
  EXPECT_EQ(enc[1], 2);
  auto dec = DecodeSummary(enc);
  ASSERT_TRUE(dec.ok()) << dec.status().message();
  EXPECT_EQ(*dec, s);
  EXPECT_EQ(dec->FindRollout("os/stable")->basis_points, 1000u);
  EXPECT_EQ(dec->FindRecall("os/testing")->to.commit, Id(3));
  for (size_t n = 0; n < enc.size(); ++n) EXPECT_FALSE(DecodeSummary(ByteSpan(enc.data(), n)).ok()) << n;

  Summary bad = s;
  bad.rollouts[0].commit = Id(9);  // not the head
  EXPECT_FALSE(ValidateSummary(bad).ok());
  bad = s;
  bad.rollouts[0].ref = "os/nothing";
  EXPECT_FALSE(ValidateSummary(bad).ok());
  bad = s;
  bad.rollouts[0].basis_points = 10001;
  EXPECT_FALSE(ValidateSummary(bad).ok());
  bad = s;
  bad.recalls[0].to.commit = Id(2);  // back to itself
  EXPECT_FALSE(ValidateSummary(bad).ok());
  bad = s;
  bad.recalls[0].to.name = "os/stable";
  EXPECT_FALSE(ValidateSummary(bad).ok());
  bad = s;
  bad.rollouts.push_back(bad.rollouts[0]);  // twice
  EXPECT_FALSE(ValidateSummary(bad).ok());
}

TEST(SignedEnvelope, RoundTripAndKindChecked) {
  SignedEnvelope env;
  env.kind = SignedKind::kSummary;
  env.body = EncodeSummary(Sample());
  CommitSignature a{}, b{};
  a.key_id[0] = 2;
  b.key_id[0] = 1;
  AddSignature(env.signatures, a);
  AddSignature(env.signatures, b);
  AddSignature(env.signatures, b);  // replaces, does not duplicate
  ASSERT_EQ(env.signatures.size(), 2u);
  EXPECT_EQ(env.signatures[0].key_id[0], 1);
  Bytes enc = EncodeSignedEnvelope(env);
  auto dec = DecodeSignedEnvelope(enc, SignedKind::kSummary);
  ASSERT_TRUE(dec.ok()) << dec.status().message();
  EXPECT_EQ(dec.value(), env);
  auto wrong = DecodeSignedEnvelope(enc, SignedKind::kBundle);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("expected a bundle"), std::string::npos);
  auto small = DecodeSignedEnvelope(enc, SignedKind::kSummary, 10);
  EXPECT_FALSE(small.ok());
}

TEST(SignedEnvelope, BadMagicAndSignatureLength) {
  SignedEnvelope env;
  env.body = {1, 2, 3};
  env.signatures.push_back(CommitSignature{});
  Bytes enc = EncodeSignedEnvelope(env);
  Bytes bad = enc;
  bad[0] = 'X';
  EXPECT_NE(DecodeSignedEnvelope(bad, SignedKind::kSummary).status().message().find("bad magic"),
            std::string::npos);
  // A signature one byte short (63 bytes): the decoder runs out of input.
  Bytes short_sig(enc.begin(), enc.end() - 1);
  auto dec = DecodeSignedEnvelope(short_sig, SignedKind::kSummary);
  ASSERT_FALSE(dec.ok());
  EXPECT_EQ(dec.status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace larch::repo
