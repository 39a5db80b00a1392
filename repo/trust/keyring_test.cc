// File: repo/trust/keyring_test.cc
#include "repo/trust/keyring.h"

#include <gtest/gtest.h>

#include "repo/trust/signing.h"
#include "src/base/hex.h"
#include "tests/support/temp_dir.h"

namespace larch::trust {
namespace {

using larch::testing::TempDir;
using larch::testing::WriteTestFile;

crypto::Ed25519PrivateKey NewKey() { return std::move(crypto::Ed25519PrivateKey::Generate()).value(); }

TEST(Keyring, LoadsPublicKeysAndRevokedList) {
  TempDir dir;
  auto a = NewKey(), b = NewKey();
  WriteTestFile(dir.Sub("a.pub"), a.public_key().ToPem());
  WriteTestFile(dir.Sub("b.pub"), b.public_key().ToPem());
  WriteTestFile(dir.Sub("README"), "not a key, ignored");
  WriteTestFile(dir.Sub("revoked"), "# compromised 2026-11\n" + HexEncode(b.id()) + "  # laptop\n\n");
  auto ring = Keyring::Load(dir.path());
  ASSERT_TRUE(ring.ok()) << ring.status().message();
  EXPECT_EQ(ring->size(), 2u);
  EXPECT_NE(ring->Find(a.id()), nullptr);
  EXPECT_FALSE(ring->IsRevoked(a.id()));
  EXPECT_TRUE(ring->IsRevoked(b.id()));
}

TEST(Keyring, MalformedKeyFileNamesTheFile) {
  TempDir dir;
  WriteTestFile(dir.Sub("good.pub"), NewKey().public_key().ToPem());
  WriteTestFile(dir.Sub("broken.pub"), "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n");
  auto ring = Keyring::Load(dir.path());
  ASSERT_FALSE(ring.ok());
  EXPECT_NE(ring.status().message().find("broken.pub"), std::string::npos) << ring.status().message();
}

TEST(Keyring, EmptyOrMissingRefused) {
  TempDir dir;
  EXPECT_FALSE(Keyring::Load(dir.path()).ok());
  EXPECT_TRUE(Keyring::Load(dir.Sub("nope")).status().IsNotFound());
}

TEST(Keyring, BadRevokedLineRefused) {
  auto parsed = ParseRevokedList("abcd\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("line 1"), std::string::npos);
}

TEST(CheckSignatures, ThresholdCountsOnlyValidTrustedUnrevokedKeys) {
  auto a = NewKey(), b = NewKey(), c = NewKey(), outsider = NewKey();
  crypto::Sha256Digest digest = crypto::Sha256::Hash(AsBytes("commit"));
  TrustPolicy policy{"origin", Keyring::FromKeys({a.public_key(), b.public_key(), c.public_key()}, {c.id()}), 2, {}};
  auto sign = [&](const crypto::Ed25519PrivateKey& k) {
    return std::move(SignDigest(k, SignedKind::kCommit, digest)).value();
  };
  std::vector<repo::CommitSignature> sigs;
  repo::AddSignature(sigs, sign(a));
  EXPECT_EQ(CheckSignatures(policy, SignedKind::kCommit, digest, sigs, "commit x").code(),
            StatusCode::kVerifyFailed);  // one key short
  repo::AddSignature(sigs, sign(c));   // revoked: does not count
  repo::AddSignature(sigs, sign(outsider));  // unknown: does not count
  Status s = CheckSignatures(policy, SignedKind::kCommit, digest, sigs, "commit x");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("revoked"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("not in keyring"), std::string::npos) << s.message();
  repo::AddSignature(sigs, sign(b));
  EXPECT_TRUE(CheckSignatures(policy, SignedKind::kCommit, digest, sigs, "commit x").ok());
  // The same signatures do not vouch for another kind of thing.
  EXPECT_FALSE(CheckSignatures(policy, SignedKind::kSummary, digest, sigs, "summary").ok());
}

TEST(CheckSignatures, UnsignedSaysSo) {
  auto a = NewKey();
  TrustPolicy policy{"origin", Keyring::FromKeys({a.public_key()}), 1, {}};
  Status s = CheckSignatures(policy, SignedKind::kCommit, {}, {}, "commit x");
  EXPECT_NE(s.message().find("not signed"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace larch::trust
