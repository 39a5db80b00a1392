// File: repo/objects/dirtree_test.cc
#include "repo/objects/dirtree.h"

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

DirTree Sample() {
  DirTree t;
  t.files = {{"a.txt", TestId(1), 12, 0}, {"b", TestId(2), 0, 7}, {"hard", TestId(2), 0, 7}};
  t.dirs = {{"bin", TestId(3), TestId(4)}, {"usr", TestId(5), TestId(4)}};
  return t;
}

// Unchecked encoders for forging inputs.
Bytes RawTree(const std::vector<std::string>& files, const std::vector<std::string>& dirs) {
  encoding::Encoder enc;
  enc.U8(2);
  enc.U8(1);
  enc.U32(static_cast<uint32_t>(files.size()));
  for (const std::string& name : files) {
    enc.Str(name);
    enc.Raw(TestId(1).bytes());
    enc.U64(1);
    enc.U32(0);
  }
  enc.U32(static_cast<uint32_t>(dirs.size()));
  for (const std::string& name : dirs) {
    enc.Str(name);
    enc.Raw(TestId(2).bytes());
    enc.Raw(TestId(3).bytes());
  }
  return enc.Take();
}

TEST(DirTreeTest, GoldenLayout) {
  DirTree t;
  t.files = {{"f", TestId(0xaa), 3, 1}};
  t.dirs = {{"d", TestId(0xbb), TestId(0xcc)}};
  EXPECT_EQ(HexEncode(EncodeDirTree(t)),
            "0201"                                   // tag dirtree, version 1
            "01000000"                               // one file
            "01000000" "66" + std::string(64, 'a') +  // "f", file id
            "0300000000000000" "01000000"            // size 3, link_slot 1
            "01000000"                               // one dir
            "01000000" "64" + std::string(64, 'b') + std::string(64, 'c'));
}

TEST(DirTreeTest, RoundTrips) {
  for (const DirTree& t : {DirTree{}, Sample()}) {
    ASSERT_TRUE(ValidateDirTree(t).ok());
    auto back = DecodeDirTree(EncodeDirTree(t));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, t);
  }
  DirTree edge;
  edge.files = {{std::string(kMaxNameLength, 'x'), TestId(9), UINT64_MAX, UINT32_MAX},
                {"\x01\xff name with spaces", TestId(9), 0, 0}};
  std::sort(edge.files.begin(), edge.files.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  edge.dirs = {{"...", TestId(1), TestId(2)}, {".hidden", TestId(1), TestId(2)}};
  std::sort(edge.dirs.begin(), edge.dirs.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  ASSERT_TRUE(ValidateDirTree(edge).ok()) << ValidateDirTree(edge).ToString();
  EXPECT_EQ(*DecodeDirTree(EncodeDirTree(edge)), edge);
}

TEST(DirTreeTest, Canonical) {
  ExpectCanonical(EncodeDirTree(Sample()), MakeRecode(&DecodeDirTree, &EncodeDirTree));
  ExpectCanonical(EncodeDirTree(DirTree{}), MakeRecode(&DecodeDirTree, &EncodeDirTree));
}

TEST(DirTreeTest, EntryNames) {
  EXPECT_TRUE(IsValidEntryName("a"));
  EXPECT_TRUE(IsValidEntryName("..."));
  EXPECT_TRUE(IsValidEntryName(".a"));
  EXPECT_TRUE(IsValidEntryName(std::string(255, 'n')));
  EXPECT_FALSE(IsValidEntryName(""));
  EXPECT_FALSE(IsValidEntryName("."));
  EXPECT_FALSE(IsValidEntryName(".."));
  EXPECT_FALSE(IsValidEntryName("a/b"));
  EXPECT_FALSE(IsValidEntryName("/"));
  EXPECT_FALSE(IsValidEntryName(std::string("a\0b", 3)));
  EXPECT_FALSE(IsValidEntryName(std::string(256, 'n')));
}

TEST(DirTreeTest, RejectsBadNames) {
  ExpectCorruption(DecodeDirTree(RawTree({".."}, {})), "dirtree: invalid entry name \"..\"");
  ExpectCorruption(DecodeDirTree(RawTree({}, {"."})), "dirtree: invalid entry name \".\"");
  ExpectCorruption(DecodeDirTree(RawTree({""}, {})), "dirtree: invalid entry name \"\"");
  ExpectCorruption(DecodeDirTree(RawTree({"a/b"}, {})), "invalid entry name \"a/b\"");
  ExpectCorruption(DecodeDirTree(RawTree({}, {std::string("a\0b", 3)})),
                   "invalid entry name \"a\\x00b\"");
  ExpectCorruption(DecodeDirTree(RawTree({std::string(256, 'n')}, {})), "exceeds limit 255");
}

TEST(DirTreeTest, RejectsUnsortedAndDuplicates) {
  ExpectCorruption(DecodeDirTree(RawTree({"c", "b"}, {})),
                   "dirtree: entries not sorted: \"b\" after \"c\"");
  ExpectCorruption(DecodeDirTree(RawTree({}, {"z", "y"})), "entries not sorted: \"y\" after \"z\"");
  ExpectCorruption(DecodeDirTree(RawTree({"a", "a"}, {})), "duplicate entry \"a\"");
  ExpectCorruption(DecodeDirTree(RawTree({}, {"d", "d"})), "duplicate entry \"d\"");
  // Bytewise order: "B" (0x42) < "a" (0x61), and 0xc3 sorts after 'z'.
  EXPECT_TRUE(DecodeDirTree(RawTree({"B", "a", "z", "\xc3\xa9"}, {})).ok());
  ExpectCorruption(DecodeDirTree(RawTree({"\xc3\xa9", "z"}, {})), "not sorted");
}

TEST(DirTreeTest, RejectsNameInBothLists) {
  ExpectCorruption(DecodeDirTree(RawTree({"a", "m", "z"}, {"b", "m"})),
                   "\"m\" is both a file and a directory");
  ExpectCorruption(DecodeDirTree(RawTree({"z"}, {"a", "z"})), "\"z\" is both");
  EXPECT_TRUE(DecodeDirTree(RawTree({"a", "c"}, {"b", "d"})).ok());
}

TEST(DirTreeTest, RejectsFramingErrors) {
  Bytes good = EncodeDirTree(Sample());
  Bytes bad_tag = good;
  bad_tag[0] = 3;
  ExpectCorruption(DecodeDirTree(bad_tag), "dirtree: wrong type tag 3 (want 2)");
  Bytes bad_version = good;
  bad_version[1] = 0;
  ExpectCorruption(DecodeDirTree(bad_version), "unsupported format version 0");
  Bytes trailing = good;
  trailing.push_back(0);
  ExpectCorruption(DecodeDirTree(trailing), "1 trailing bytes");
  ExpectCorruption(DecodeDirTree(ByteSpan(good).first(good.size() - 1)), "truncated");
}

TEST(DirTreeTest, HugeCountsRefusedWithoutAllocating) {
  // Counts near 2^32 and just over the entry limit, with almost no bytes
  // behind them: refused by the count check, never reserved.
  for (uint32_t count : {0xffffffffu, 0x00100001u, 0x000fffffu, 1000u}) {
    encoding::Encoder files;
    files.U8(2);
    files.U8(1);
    files.U32(count);
    files.Raw(Bytes(48, 0));
    EXPECT_FALSE(DecodeDirTree(files.bytes()).ok()) << count;
    encoding::Encoder dirs;
    dirs.U8(2);
    dirs.U8(1);
    dirs.U32(0);
    dirs.U32(count);
    EXPECT_FALSE(DecodeDirTree(dirs.bytes()).ok()) << count;
  }
}

TEST(DirTreeTest, EntryLimitSpansBothLists) {
  DirTree t;
  t.files.resize(kMaxDirEntries);
  t.dirs.resize(1);
  ExpectInvalid(ValidateDirTree(t), "more than 1048576 entries");
}

TEST(DirTreeTest, ValidateNamesOffender) {
  DirTree t = Sample();
  t.files[1].name = "a/b";
  ExpectInvalid(ValidateDirTree(t), "dirtree: invalid entry name \"a/b\"");
  t = Sample();
  std::swap(t.dirs[0], t.dirs[1]);
  ExpectInvalid(ValidateDirTree(t), "entries not sorted: \"bin\" after \"usr\"");
  t = Sample();
  t.dirs[0].name = "b";
  ExpectInvalid(ValidateDirTree(t), "\"b\" is both a file and a directory");
}

}  // namespace
}  // namespace larch::repo
