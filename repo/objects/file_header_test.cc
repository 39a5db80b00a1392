// File: repo/objects/file_header_test.cc
#include "repo/objects/file_header.h"

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

FileHeader Regular() {
  FileHeader h;
  h.kind = FileKind::kRegular;
  h.mode = S_IFREG | 0644;
  h.uid = 1000;
  h.gid = 100;
  h.size = 5;
  h.xattrs = {{"user.a", Bytes{1}}};
  return h;
}

FileHeader Symlink() {
  FileHeader h;
  h.kind = FileKind::kSymlink;
  h.mode = S_IFLNK | 0777;
  h.symlink_target = "../lib/libc.so.6";
  h.xattrs = {{"security.selinux", Bytes{'x', 0}}, {"user.z", Bytes{}}};
  return h;
}

// The layout written field by field, with no checks, to forge bad inputs.
struct RawHeader {
  uint8_t tag = 1;
  uint8_t version = 1;
  uint8_t kind = 1;
  uint32_t mode = S_IFREG | 0644;
  uint64_t size = 0;
  std::string target;
  std::vector<std::pair<std::string, Bytes>> xattrs;
  Bytes Encode() const {
    encoding::Encoder enc;
    enc.U8(tag);
    enc.U8(version);
    enc.U8(kind);
    enc.U32(mode);
    enc.U32(0);
    enc.U32(0);
    enc.U64(size);
    enc.Str(target);
    enc.U32(static_cast<uint32_t>(xattrs.size()));
    for (const auto& [name, value] : xattrs) {
      enc.Str(name);
      enc.Blob(value);
    }
    return enc.Take();
  }
};

TEST(FileHeaderTest, GoldenLayout) {
  // Pinned so an accidental format change fails here, not in the field.
  EXPECT_EQ(HexEncode(EncodeFileHeader(Regular())),
            "0101"                      // tag file, version 1
            "01"                        // kind regular
            "a4810000"                  // mode 0100644
            "e8030000" "64000000"       // uid 1000, gid 100
            "0500000000000000"          // size 5
            "00000000"                  // empty symlink target
            "01000000"                  // one xattr
            "06000000" "757365722e61"   // "user.a"
            "01000000" "01");           // value {1}
}

TEST(FileHeaderTest, RoundTrips) {
  FileHeader plain;
  plain.mode = S_IFREG | 04755;
  plain.size = UINT64_MAX;
  FileHeader long_target = Symlink();
  long_target.symlink_target = std::string(kMaxSymlinkTarget, 'a');
  for (const FileHeader& h : {Regular(), Symlink(), plain, long_target}) {
    ASSERT_TRUE(ValidateFileHeader(h).ok()) << ValidateFileHeader(h).ToString();
    auto back = DecodeFileHeader(EncodeFileHeader(h));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, h);
  }
}

TEST(FileHeaderTest, Canonical) {
  const auto recode = MakeRecode(&DecodeFileHeader, &EncodeFileHeader);
  ExpectCanonical(EncodeFileHeader(Regular()), recode);
  ExpectCanonical(EncodeFileHeader(Symlink()), recode);
}

TEST(FileHeaderTest, FrameRoundTripWithContentAfter) {
  const FileHeader h = Symlink();
  Bytes frame = EncodeFileHeaderFrame(h);
  const Bytes body = EncodeFileHeader(h);
  ASSERT_EQ(frame.size(), 4 + body.size());
  EXPECT_EQ(frame[0], body.size());
  EXPECT_TRUE(std::equal(body.begin(), body.end(), frame.begin() + 4));
  const size_t frame_size = frame.size();
  frame.push_back('c');  // content follows the frame in a file object
  auto parsed = DecodeFileHeaderFrame(frame);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->header, h);
  EXPECT_EQ(parsed->frame_size, frame_size);
}

TEST(FileHeaderTest, FrameRejects) {
  const Bytes frame = EncodeFileHeaderFrame(Regular());
  for (size_t n = 0; n < frame.size(); ++n) {
    EXPECT_FALSE(DecodeFileHeaderFrame(ByteSpan(frame).first(n)).ok()) << n;
  }
  // A length over 1 MiB is refused before anything is read.
  const Bytes huge{0x01, 0x00, 0x10, 0x00};  // 1 MiB + 1
  ExpectCorruption(DecodeFileHeaderFrame(huge), "exceeds 1 MiB");
  const Bytes max_len{0xff, 0xff, 0xff, 0xff};
  ExpectCorruption(DecodeFileHeaderFrame(max_len), "exceeds 1 MiB");
  // The frame length must match the header exactly: one byte more is
  // trailing garbage inside the header.
  Bytes padded = frame;
  padded[0] = static_cast<uint8_t>(padded[0] + 1);
  padded.push_back(0);
  ExpectCorruption(DecodeFileHeaderFrame(padded), "trailing");
}

TEST(FileHeaderTest, RejectsPrefix) {
  RawHeader raw;
  raw.tag = 2;
  ExpectCorruption(DecodeFileHeader(raw.Encode()), "file header: wrong type tag 2");
  raw.tag = 1;
  raw.version = 2;
  ExpectCorruption(DecodeFileHeader(raw.Encode()), "unsupported format version 2");
  ExpectCorruption(DecodeFileHeader({}), "truncated");
}

TEST(FileHeaderTest, RejectsKindAndMode) {
  RawHeader raw;
  ASSERT_TRUE(DecodeFileHeader(raw.Encode()).ok());
  for (uint8_t kind : {0, 3, 255}) {
    raw.kind = kind;
    ExpectCorruption(DecodeFileHeader(raw.Encode()), "unknown kind");
  }
  raw.kind = 1;
  raw.mode = 0x10000 | S_IFREG | 0644;
  ExpectCorruption(DecodeFileHeader(raw.Encode()), "unknown bits");
  raw.mode = S_IFLNK | 0777;
  ExpectCorruption(DecodeFileHeader(raw.Encode()), "lacks S_IFREG");
  raw.mode = S_IFDIR | 0755;
  ExpectCorruption(DecodeFileHeader(raw.Encode()), "lacks S_IFREG");
  raw.mode = 0644;
  ExpectCorruption(DecodeFileHeader(raw.Encode()), "lacks S_IFREG");
  raw.kind = 2;
  raw.target = "t";
  raw.mode = S_IFREG | 0777;
  ExpectCorruption(DecodeFileHeader(raw.Encode()), "lacks S_IFLNK");
}

TEST(FileHeaderTest, RejectsBadTargets) {
  RawHeader raw;
  raw.target = "x";
  ExpectCorruption(DecodeFileHeader(raw.Encode()), "regular file has a symlink target");
  raw.kind = 2;
  raw.mode = S_IFLNK | 0777;
  ASSERT_TRUE(DecodeFileHeader(raw.Encode()).ok());
  raw.size = 1;
  ExpectCorruption(DecodeFileHeader(raw.Encode()), "symlink with non-zero size");
  raw.size = 0;
  raw.target = "";
  ExpectCorruption(DecodeFileHeader(raw.Encode()), "invalid symlink target \"\"");
  raw.target = std::string("a\0b", 3);
  ExpectCorruption(DecodeFileHeader(raw.Encode()), "invalid symlink target \"a\\x00b\"");
  raw.target = std::string(kMaxSymlinkTarget + 1, 'a');
  ExpectCorruption(DecodeFileHeader(raw.Encode()), "exceeds limit 4095");
}

TEST(FileHeaderTest, RejectsBadXattrs) {
  RawHeader raw;
  raw.xattrs = {{"user.b", {}}, {"user.a", {}}};
  ExpectCorruption(DecodeFileHeader(raw.Encode()),
                   "xattrs not sorted: \"user.a\" after \"user.b\"");
  raw.xattrs = {{"user.a", {}}, {"user.a", {1}}};
  ExpectCorruption(DecodeFileHeader(raw.Encode()), "duplicate xattr \"user.a\"");
  raw.xattrs = {{"", {}}};
  ExpectCorruption(DecodeFileHeader(raw.Encode()), "invalid xattr name \"\"");
  raw.xattrs = {{std::string("user\0a", 6), {}}};
  ExpectCorruption(DecodeFileHeader(raw.Encode()), "invalid xattr name");
  raw.xattrs = {{std::string(kMaxXattrName + 1, 'n'), {}}};
  ExpectCorruption(DecodeFileHeader(raw.Encode()), "exceeds limit 255");
  raw.xattrs = {{"user.big", Bytes(kMaxXattrValue + 1, 0)}};
  ExpectCorruption(DecodeFileHeader(raw.Encode()), "exceeds limit 65536");
  // Bytes order, not signed char order: 0x80 sorts after 'z'.
  raw.xattrs = {{"user.z", {}}, {"user.\x80", {}}};
  EXPECT_TRUE(DecodeFileHeader(raw.Encode()).ok());
}

TEST(FileHeaderTest, HugeXattrCountNoAllocation) {
  Bytes bytes = RawHeader().Encode();
  // Overwrite the xattr count (last 4 bytes) with a huge value.
  bytes[bytes.size() - 4] = 0xff;
  bytes[bytes.size() - 3] = 0xff;
  bytes[bytes.size() - 2] = 0xff;
  bytes[bytes.size() - 1] = 0xff;
  ExpectCorruption(DecodeFileHeader(bytes), "exceeds limit 256");
  bytes[bytes.size() - 4] = 200;
  bytes[bytes.size() - 3] = 0;
  bytes[bytes.size() - 2] = 0;
  bytes[bytes.size() - 1] = 0;
  ExpectCorruption(DecodeFileHeader(bytes), "cannot fit");
}

TEST(FileHeaderTest, ValidateRefusesOversizedHeader) {
  FileHeader h = Regular();
  h.xattrs.clear();
  for (int i = 0; i < 17; ++i) {  // 17 x 64 KiB > 1 MiB
    h.xattrs.push_back({"user." + std::string(1, static_cast<char>('a' + i)),
                        Bytes(kMaxXattrValue, 0)});
  }
  ExpectInvalid(ValidateFileHeader(h), "encoding exceeds 1048576 bytes");
  h.xattrs.resize(15);
  EXPECT_TRUE(ValidateFileHeader(h).ok());
  EXPECT_EQ(*DecodeFileHeader(EncodeFileHeader(h)), h);
}

TEST(FileHeaderTest, ValidateUsesInvalidArgument) {
  FileHeader h = Regular();
  h.kind = FileKind::kSymlink;
  ExpectInvalid(ValidateFileHeader(h), "file header: symlink mode lacks S_IFLNK");
  h = Regular();
  h.kind = static_cast<FileKind>(9);
  ExpectInvalid(ValidateFileHeader(h), "unknown kind 9");
}

}  // namespace
}  // namespace larch::repo
