// File: repo/objects/dirmeta_test.cc
#include "repo/objects/dirmeta.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "repo/objects/objects_test_util.h"
#include "src/base/hex.h"
#include "src/encoding/encoding.h"

namespace larch::repo {
namespace {

using testing::ExpectCanonical;
using testing::ExpectCorruption;
using testing::ExpectInvalid;
using testing::MakeRecode;

DirMeta Sample() {
  DirMeta m;
  m.mode = S_IFDIR | 0755;
  m.uid = 0;
  m.gid = 42;
  m.xattrs = {{"security.selinux", Bytes{'s', 'y', 's', 0}}, {"user.x", Bytes{}}};
  return m;
}

Bytes RawMeta(uint32_t mode, const std::vector<std::pair<std::string, Bytes>>& xattrs = {}) {
  encoding::Encoder enc;
  enc.U8(3);
  enc.U8(1);
  enc.U32(mode);
  enc.U32(0);
  enc.U32(0);
  enc.U32(static_cast<uint32_t>(xattrs.size()));
  for (const auto& [name, value] : xattrs) {
    enc.Str(name);
    enc.Blob(value);
  }
  return enc.Take();
}

TEST(DirMetaTest, GoldenLayout) {
  DirMeta m;
  m.mode = S_IFDIR | 01777;
  m.uid = 1;
  m.gid = 2;
  EXPECT_EQ(HexEncode(EncodeDirMeta(m)),
            "0301"                          // tag dirmeta, version 1
            "ff430000"                      // mode 041777
            "01000000" "02000000"           // uid, gid
            "00000000");                    // no xattrs
}

TEST(DirMetaTest, RoundTripAndCanonical) {
  const DirMeta m = Sample();
  ASSERT_TRUE(ValidateDirMeta(m).ok());
  EXPECT_EQ(*DecodeDirMeta(EncodeDirMeta(m)), m);
  ExpectCanonical(EncodeDirMeta(m), MakeRecode(&DecodeDirMeta, &EncodeDirMeta));
  DirMeta bare;
  bare.mode = S_IFDIR;
  ExpectCanonical(EncodeDirMeta(bare), MakeRecode(&DecodeDirMeta, &EncodeDirMeta));
}

TEST(DirMetaTest, RejectsNonDirectoryModes) {
  EXPECT_TRUE(DecodeDirMeta(RawMeta(S_IFDIR | 07777)).ok());
  for (uint32_t mode : {uint32_t{S_IFREG | 0755}, uint32_t{S_IFLNK | 0777}, uint32_t{0755},
                        uint32_t{0x10000 | S_IFDIR | 0755}, uint32_t{0xffffffff}}) {
    ExpectCorruption(DecodeDirMeta(RawMeta(mode)), "is not a directory mode");
  }
}

TEST(DirMetaTest, RejectsBadXattrs) {
  ExpectCorruption(DecodeDirMeta(RawMeta(S_IFDIR, {{"b", {}}, {"a", {}}})),
                   "dirmeta: xattrs not sorted: \"a\" after \"b\"");
  ExpectCorruption(DecodeDirMeta(RawMeta(S_IFDIR, {{"a", {}}, {"a", {}}})), "duplicate xattr");
  ExpectCorruption(DecodeDirMeta(RawMeta(S_IFDIR, {{"", {1}}})), "invalid xattr name");
}

TEST(DirMetaTest, RejectsFraming) {
  Bytes good = EncodeDirMeta(Sample());
  good[0] = 2;
  ExpectCorruption(DecodeDirMeta(good), "wrong type tag 2 (want 3)");
  good[0] = 3;
  good[1] = 7;
  ExpectCorruption(DecodeDirMeta(good), "unsupported format version 7");
  good[1] = 1;
  good.push_back(1);
  ExpectCorruption(DecodeDirMeta(good), "trailing");
  Bytes huge = RawMeta(S_IFDIR);
  huge[huge.size() - 1] = 0x7f;  // xattr count 0x7f000000
  ExpectCorruption(DecodeDirMeta(huge), "exceeds limit 256");
}

TEST(DirMetaTest, ValidateUsesInvalidArgument) {
  DirMeta m = Sample();
  m.mode = S_IFREG | 0644;
  ExpectInvalid(ValidateDirMeta(m), "dirmeta: mode 0100644 is not a directory mode");
}

}  // namespace
}  // namespace larch::repo
