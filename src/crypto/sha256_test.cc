// File: src/crypto/sha256_test.cc
#include "src/crypto/sha256.h"

#include <gtest/gtest.h>

#include <string>

#include "src/base/hex.h"

namespace larch::crypto {
namespace {

std::string HexOf(const Sha256Digest& d) { return HexEncode(d); }

// FIPS 180-2 / NIST example vectors.
TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(HexOf(Sha256::Hash(AsBytes(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexOf(Sha256::Hash(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexOf(Sha256::Hash(
                AsBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, MillionAsStreamed) {
  Sha256 h;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.Update(AsBytes(chunk));
  EXPECT_EQ(HexOf(h.Finish()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, IncrementalMatchesOneShot) {
  std::string data;
  for (int i = 0; i < 5000; ++i) data += static_cast<char>(i * 131 % 251);
  const Sha256Digest expected = Sha256::Hash(AsBytes(data));
  // Every split point of a smaller prefix, including empty updates.
  for (size_t split = 0; split <= 200; ++split) {
    Sha256 h;
    h.Update(AsBytes(std::string_view(data).substr(0, split)));
    h.Update({});
    h.Update(AsBytes(std::string_view(data).substr(split)));
    EXPECT_EQ(h.Finish(), expected) << "split at " << split;
  }
}

TEST(Sha256Test, FinishResetsForReuse) {
  Sha256 h;
  h.Update(AsBytes("junk"));
  (void)h.Finish();
  h.Update(AsBytes("abc"));
  EXPECT_EQ(h.Finish(), Sha256::Hash(AsBytes("abc")));
  // With no input since the last Finish: the empty digest.
  EXPECT_EQ(h.Finish(), Sha256::Hash({}));
}

TEST(Sha256Test, MoveKeepsState) {
  Sha256 a;
  a.Update(AsBytes("ab"));
  Sha256 b(std::move(a));
  b.Update(AsBytes("c"));
  Sha256 c;
  c = std::move(b);
  EXPECT_EQ(c.Finish(), Sha256::Hash(AsBytes("abc")));
}

}  // namespace
}  // namespace larch::crypto
