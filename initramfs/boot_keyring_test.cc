// File: initramfs/boot_keyring_test.cc
// The boot keyring's one decoder: an Ed25519 public key in PEM, exactly as
// OpenSSL (and so `larch key generate`) writes it, and nothing else.
#include "initramfs/boot_keyring.h"

#include <sodium.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "src/base/hex.h"

namespace larch::initramfs {
namespace {

// `openssl genpkey -algorithm ed25519 | openssl pkey -pubout`, and the raw
// key `-outform DER | tail -c 32` printed.
constexpr char kPem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAjG8pN2Y7mNKkMBjz/dXn2eegKLLnjUZqOS9Mgl8BEzs=\n"
    "-----END PUBLIC KEY-----\n";
constexpr char kRawHex[] = "8c6f2937663b98d2a43018f3fdd5e7d9e7a028b2e78d466a392f4c825f01133b";

TEST(BootKeyring, DecodesAnEd25519PublicKey) {
  std::optional<std::array<uint8_t, 32>> key = DecodeEd25519PublicPem(kPem);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(HexEncode(ByteSpan(key->data(), key->size())), kRawHex);
}

TEST(BootKeyring, RefusesAnythingElse) {
  const std::string pem = kPem;
  // An X25519 key: same length, another algorithm OID.
  const std::string x25519 =
      "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VuAyEAjG8pN2Y7mNKkMBjz/dXn2eegKLLnjUZqOS9Mgl8BEzs=\n-----END PUBLIC KEY-----\n";
  for (const std::string& bad : {
           std::string(), pem.substr(0, pem.size() - 1), pem + "\n", "x" + pem, x25519,
           std::string("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"),
           std::string("-----BEGIN PRIVATE KEY-----\nMCowBQYDK2VwAyEAjG8pN2Y7mNKkMBjz/dXn2eegKLLnjUZqOS9Mgl8BEzs=\n-----END PUBLIC KEY-----\n"),
           std::string("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAjG8pN2Y7mNKkMBjz/dXn2eegKLLnjUZqOS9Mgl8BEz=\n-----END PUBLIC KEY-----\n"),
           std::string("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAjG8pN2Y7mNKkMBjz/dXn2eegKLLnjUZqOS9Mgl8BEzs=AAAA\n-----END PUBLIC KEY-----\n"),
           std::string("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAjG8pN2Y7mNKkMBjz/dXn2eegKLLnjUZqOS9Mgl8BEzs= \n-----END PUBLIC KEY-----\n"),
       }) {
    EXPECT_FALSE(DecodeEd25519PublicPem(bad).has_value()) << bad;
  }
}

TEST(BootKeyring, LoadsEveryPubFileAndNamesABadOne) {
  const std::string dir = testing::TempDir() + "/boot-keys-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::vector<BootKey> keys;
  bool any = true;
  EXPECT_EQ(LoadBootKeyring(dir + "/missing", &keys, &any), "");
  EXPECT_FALSE(any);
  std::ofstream(dir + "/a.pub") << kPem;
  std::ofstream(dir + "/b.pub") << "not a key\n";
  std::ofstream(dir + "/readme.txt") << "ignored\n";
  EXPECT_EQ(LoadBootKeyring(dir, &keys, &any), dir + "/b.pub is not an Ed25519 public key in PEM");
  EXPECT_TRUE(any);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].file, "a.pub");
  std::array<uint8_t, 32> id;
  crypto_hash_sha256(id.data(), keys[0].public_key.data(), 32);
  EXPECT_EQ(keys[0].id, id);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace larch::initramfs
