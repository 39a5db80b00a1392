// File: src/crypto/fsverity_digest_test.cc
// The digest against the reference implementation's command line tool
// (`fsverity digest`, Debian package fsverity) on sizes around the block
// and Merkle-tree level boundaries, and the reader's failures.
#include "src/crypto/fsverity_digest.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "src/base/hex.h"
#include "tests/support/temp_dir.h"

namespace larch::crypto {
namespace {

std::string ShellOutput(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[256];
  while (std::fgets(buf, sizeof(buf), p) != nullptr) out += buf;
  ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

Bytes RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 random(seed);
  Bytes b(n);
  for (uint8_t& c : b) c = static_cast<uint8_t>(random());
  return b;
}

TEST(FsVerityDigest, MatchesTheFsverityTool) {
  ASSERT_FALSE(ShellOutput("command -v fsverity").empty()) << "fsverity is not installed (tools/setup.sh installs it)";
  testing::TempDir dir;
  // 0 and 1 byte; one block and one byte more; 128 blocks (one full level-0
  // hash block of 32-byte digests) and one more, which adds a tree level.
  for (size_t size : {size_t{0}, size_t{1}, size_t{4095}, size_t{4096}, size_t{4097}, size_t{128 * 4096},
                      size_t{128 * 4096 + 1}, size_t{3 << 20}}) {
    const Bytes content = RandomBytes(size, size);
    const std::string path = dir.Sub("f" + std::to_string(size));
    testing::WriteTestFile(path, std::string(content.begin(), content.end()));
    const std::string expected = ShellOutput("fsverity digest --compact '" + path + "'");
    ASSERT_EQ(expected.size(), 64u) << "fsverity digest printed: " << expected;
    Result<FsVerityDigest> d = ComputeFsVerityDigest(content);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(HexEncode(*d), expected) << size << " bytes";
  }
}

TEST(FsVerityDigest, AReaderInSmallPiecesGivesTheSameDigest) {
  const Bytes content = RandomBytes(100000, 7);
  size_t at = 0;
  Result<FsVerityDigest> pieces =
      ComputeFsVerityDigest(content.size(), [&](MutableByteSpan out) -> Result<size_t> {
        const size_t n = std::min({out.size(), content.size() - at, size_t{777}});
        std::copy_n(content.begin() + static_cast<std::ptrdiff_t>(at), n, out.begin());
        at += n;
        return n;
      });
  ASSERT_TRUE(pieces.ok());
  EXPECT_EQ(*pieces, *ComputeFsVerityDigest(content));
}

TEST(FsVerityDigest, ContentShorterThanItsSizeFails) {
  const Bytes content = RandomBytes(5000, 1);
  Result<FsVerityDigest> d = ComputeFsVerityDigest(
      8192, [&, done = false](MutableByteSpan out) mutable -> Result<size_t> {
        if (done) return size_t{0};
        done = true;
        std::copy_n(content.begin(), std::min(out.size(), content.size()), out.begin());
        return std::min(out.size(), content.size());
      });
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("the content ended before its size"), std::string::npos)
      << d.status().ToString();
}

TEST(FsVerityDigest, AReaderErrorIsReturned) {
  Result<FsVerityDigest> d = ComputeFsVerityDigest(
      10, [](MutableByteSpan) -> Result<size_t> { return Status::IoError("disk on fire"); });
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().ToString().find("disk on fire"), std::string::npos) << d.status().ToString();
}

}  // namespace
}  // namespace larch::crypto
