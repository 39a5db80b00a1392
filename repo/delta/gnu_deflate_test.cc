// File: repo/delta/gnu_deflate_test.cc
//
// The encoder against the real thing: every case is compressed by
// /usr/bin/gzip (GNU gzip) and must come out byte for byte the same.
#include "repo/delta/gnu_deflate.h"

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "repo/delta/zlib_raw.h"
#include "tests/support/temp_dir.h"

namespace larch::delta {
namespace {

constexpr char kGzip[] = "/usr/bin/gzip";

bool HaveGnuGzip() {
  FILE* p = popen("/usr/bin/gzip --version 2>/dev/null", "r");
  if (p == nullptr) return false;
  char line[128] = {};
  bool gnu = fgets(line, sizeof line, p) != nullptr && std::string(line).rfind("gzip 1.", 0) == 0;
  pclose(p);
  return gnu;
}

std::string RunToString(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  std::string out;
  if (p == nullptr) return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// gzip's raw deflate stream for `data` at `level` (header and trailer cut).
Bytes GnuGzipRaw(const std::string& data, int level) {
  testing::TempDir dir;
  std::string path = dir.Sub("in");
  testing::WriteTestFile(path, data);
  std::string gz = RunToString(std::string(kGzip) + " -c -n -" + std::to_string(level) + " < " + path);
  if (gz.size() < 18) return {};
  return Bytes(gz.begin() + 10, gz.end() - 8);
}

// Compares at every level, fed whole and fed in uneven chunks.
void ExpectSameAsGzip(const std::string& data, const std::string& what) {
  ByteSpan in = AsBytes(data);
  for (int level = 1; level <= 9; ++level) {
    Bytes want = GnuGzipRaw(data, level);
    ASSERT_FALSE(want.empty()) << "gzip failed";
    Bytes whole = GnuDeflateAll(in, level);
    EXPECT_TRUE(whole == want) << what << " (" << data.size() << " bytes) level " << level << ": "
                               << whole.size() << " bytes, gzip " << want.size();
    GnuDeflate chunked(level);
    Bytes out;
    size_t at = 0;
    for (size_t step = 1; at < in.size(); step = step * 3 + 7) {
      size_t n = std::min(step % 100000 + 1, in.size() - at);
      chunked.Write(in.subspan(at, n), &out);
      at += n;
    }
    chunked.Finish(&out);
    EXPECT_TRUE(out == want) << what << " chunked, level " << level;
  }
}

std::string Text(size_t size, uint32_t seed) {
  static const char* words[] = {"the ", "file ", "system ", "update ", "of ", "a ", "manual ", "page ",
                                "\n", "option ", "--verbose ", "larch ", "(1) ", ".TH ", "and ", "is "};
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < size) s += words[rng() % 16];
  s.resize(size);
  return s;
}

std::string Random(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(size, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

class GnuDeflateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveGnuGzip()) GTEST_SKIP() << "no GNU gzip at /usr/bin/gzip";
  }
};

TEST_F(GnuDeflateTest, EmptyAndTiny) {
  ExpectSameAsGzip("", "empty");
  ExpectSameAsGzip("a", "one byte");
  ExpectSameAsGzip("ab", "two bytes");
  ExpectSameAsGzip("abcabcabc", "tiny repeat");
  ExpectSameAsGzip("hello, world\n", "tiny text");
}

TEST_F(GnuDeflateTest, TextOfManySizes) {
  for (size_t size : {100u, 1000u, 6000u, 7000u, 32768u, 32769u, 65000u, 65536u, 65537u, 100000u,
                      300000u, 1000000u}) {
    ExpectSameAsGzip(Text(size, static_cast<uint32_t>(size)), "text");
  }
}

TEST_F(GnuDeflateTest, SeveralMegabytesOfText) { ExpectSameAsGzip(Text(3 << 20, 7), "big text"); }

TEST_F(GnuDeflateTest, RandomBytes) {
  for (size_t size : {10u, 5000u, 40000u, 70000u, 500000u}) ExpectSameAsGzip(Random(size, 3), "random");
}

TEST_F(GnuDeflateTest, HighlyRepetitive) {
  ExpectSameAsGzip(std::string(100000, 'a'), "one byte repeated");
  ExpectSameAsGzip(std::string(1 << 20, '\0'), "zeros");
  std::string pattern;
  for (int i = 0; i < 20000; ++i) pattern += "abcdefgh" + std::to_string(i % 7);
  ExpectSameAsGzip(pattern, "short period");
}

TEST_F(GnuDeflateTest, Mixed) {
  std::string mix;
  for (int i = 0; i < 12; ++i) {
    mix += Text(20000 + i * 3000, i);
    mix += Random(3000 + i * 1000, i);
    mix += std::string(5000, char('a' + i));
  }
  ExpectSameAsGzip(mix, "mixed");
}

// Real man pages, where the machine has them. Only pages gzip -9n rebuilds
// exactly were written by GNU gzip (a fresh process); those must match.
TEST_F(GnuDeflateTest, ManPages) {
  namespace fs = std::filesystem;
  if (!fs::exists("/usr/share/man")) GTEST_SKIP() << "no man pages";
  int checked = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator("/usr/share/man", ec);
       it != fs::recursive_directory_iterator() && checked < 150; it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file() || it->path().extension() != ".gz") continue;
    std::string gz = RunToString("cat '" + it->path().string() + "'");
    if (gz.size() < 18 || gz[3] != 0) continue;
    std::string raw = RunToString(std::string(kGzip) + " -dc < '" + it->path().string() + "'");
    Bytes want = GnuGzipRaw(raw, 9);
    if (want != Bytes(gz.begin() + 10, gz.end() - 8))
      continue;  // not written by gzip -9n
    EXPECT_TRUE(GnuDeflateAll(AsBytes(raw), 9) == want) << it->path();
    ++checked;
  }
  RecordProperty("man_pages_checked", checked);
}

}  // namespace
}  // namespace larch::delta
