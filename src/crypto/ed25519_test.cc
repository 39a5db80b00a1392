// File: src/crypto/ed25519_test.cc
#include "src/crypto/ed25519.h"

#include <gtest/gtest.h>

namespace larch::crypto {
namespace {

TEST(Ed25519, SignVerifyRoundTrip) {
  auto key = Ed25519PrivateKey::Generate();
  ASSERT_TRUE(key.ok()) << key.status().message();
  Bytes msg = {1, 2, 3};
  auto sig = key.value().Sign(msg);
  ASSERT_TRUE(sig.ok());
  Ed25519PublicKey pub = key.value().public_key();
  EXPECT_TRUE(pub.Verify(msg, sig.value()));
  msg[0] ^= 1;
  EXPECT_FALSE(pub.Verify(msg, sig.value()));
  msg[0] ^= 1;
  Ed25519Signature bad = sig.value();
  bad[10] ^= 0x40;
  EXPECT_FALSE(pub.Verify(msg, bad));
}

TEST(Ed25519, PemRoundTripKeepsKeyId) {
  auto key = Ed25519PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  std::string priv_pem = key.value().ToPem();
  std::string pub_pem = key.value().public_key().ToPem();
  EXPECT_NE(priv_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
  EXPECT_NE(pub_pem.find("BEGIN PUBLIC KEY"), std::string::npos);
  auto priv2 = Ed25519PrivateKey::FromPem(priv_pem);
  auto pub2 = Ed25519PublicKey::FromPem(pub_pem);
  ASSERT_TRUE(priv2.ok()) << priv2.status().message();
  ASSERT_TRUE(pub2.ok()) << pub2.status().message();
  EXPECT_EQ(priv2.value().id(), key.value().id());
  EXPECT_EQ(pub2.value().id(), key.value().id());
  EXPECT_EQ(pub2.value().id(), Sha256::Hash(pub2.value().raw()));
}

TEST(Ed25519, MalformedPemRefused) {
  for (std::string bad : {std::string(), std::string("garbage"),
                          std::string("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")}) {
    auto pub = Ed25519PublicKey::FromPem(bad);
    EXPECT_FALSE(pub.ok());
    EXPECT_EQ(pub.status().code(), StatusCode::kInvalidArgument);
    EXPECT_FALSE(Ed25519PrivateKey::FromPem(bad).ok());
  }
}

TEST(Ed25519, PrivateKeyIsNotAPublicKey) {
  auto key = Ed25519PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  EXPECT_FALSE(Ed25519PublicKey::FromPem(key.value().ToPem()).ok());
  EXPECT_FALSE(Ed25519PrivateKey::FromPem(key.value().public_key().ToPem()).ok());
}

TEST(Ed25519, TrailingGarbageRefused) {
  auto key = Ed25519PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  std::string pem = key.value().public_key().ToPem() + "\nextra";
  auto pub = Ed25519PublicKey::FromPem(pem);
  ASSERT_FALSE(pub.ok());
  EXPECT_NE(pub.status().message().find("after the key"), std::string::npos);
}

TEST(Ed25519, OtherAlgorithmRefused) {
  // An X25519 public key: valid PEM, wrong algorithm.
  const char* x25519 =
      "-----BEGIN PUBLIC KEY-----\n"
      "MCowBQYDK2VuAyEAhSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=\n"
      "-----END PUBLIC KEY-----\n";
  auto pub = Ed25519PublicKey::FromPem(x25519);
  ASSERT_FALSE(pub.ok());
  EXPECT_NE(pub.status().message().find("not an Ed25519 key"), std::string::npos)
      << pub.status().message();
}

}  // namespace
}  // namespace larch::crypto
