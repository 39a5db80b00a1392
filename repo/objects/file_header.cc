// File: repo/objects/file_header.cc
// Layout (docs/formats.md, "file"):
//   u8 tag (1) | u8 version (1) | u8 kind | u32 mode | u32 uid | u32 gid |
//   u64 size | u32 len + symlink target | xattrs
#include "repo/objects/file_header.h"

#include <sys/stat.h>

#include <cassert>
#include <cstdio>

#include "repo/objects/codec_internal.h"
#include "repo/objects/object_id.h"
#include "src/encoding/encoding.h"

namespace larch::repo {

namespace {

constexpr std::string_view kWhat = "file header";
constexpr uint32_t kAllowedModeBits = S_IFMT | 07777;
// Length prefix of a header frame.
constexpr size_t kFrameLengthSize = 4;

// Encoded size without encoding: lets Validate enforce the frame cap.
uint64_t EncodedSize(const FileHeader& h) {
  uint64_t size = 2 + 1 + 4 + 4 + 4 + 8 + 4 + h.symlink_target.size() + 4;
  for (const Xattr& x : h.xattrs) size += 4 + x.name.size() + 4 + x.value.size();
  return size;
}

std::string Octal(uint32_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0%o", mode);
  return buf;
}

Status ValidateKindAndMode(const FileHeader& h) {
  if ((h.mode & ~kAllowedModeBits) != 0) {
    return internal::Invalid(kWhat, "mode " + Octal(h.mode) + " has unknown bits");
  }
  switch (h.kind) {
    case FileKind::kRegular:
      if (!S_ISREG(h.mode)) return internal::Invalid(kWhat, "regular file mode lacks S_IFREG");
      if (!h.symlink_target.empty()) {
        return internal::Invalid(kWhat, "regular file has a symlink target");
      }
      return Status::Ok();
    case FileKind::kSymlink:
      if (!S_ISLNK(h.mode)) return internal::Invalid(kWhat, "symlink mode lacks S_IFLNK");
      if (h.size != 0) return internal::Invalid(kWhat, "symlink with non-zero size");
      if (h.symlink_target.empty() || h.symlink_target.size() > kMaxSymlinkTarget ||
          h.symlink_target.find('\0') != std::string::npos) {
        return internal::Invalid(kWhat, "invalid symlink target " +
                                            internal::Quote(h.symlink_target));
      }
      return Status::Ok();
  }
  return internal::Invalid(kWhat, "unknown kind " + std::to_string(static_cast<int>(h.kind)));
}

}  // namespace

Status ValidateFileHeader(const FileHeader& header) {
  LARCH_RETURN_IF_ERROR(ValidateKindAndMode(header));
  LARCH_RETURN_IF_ERROR(internal::ValidateXattrs(header.xattrs, kWhat));
  if (EncodedSize(header) > kMaxFileHeaderSize) {
    return internal::Invalid(kWhat, "encoding exceeds " + std::to_string(kMaxFileHeaderSize) +
                                        " bytes");
  }
  return Status::Ok();
}

Bytes EncodeFileHeader(const FileHeader& header) {
  assert(ValidateFileHeader(header).ok());
  encoding::Encoder enc;
  internal::EncodePrefix(enc, ObjectType::kFile);
  enc.U8(static_cast<uint8_t>(header.kind));
  enc.U32(header.mode);
  enc.U32(header.uid);
  enc.U32(header.gid);
  enc.U64(header.size);
  enc.Str(header.symlink_target);
  internal::EncodeXattrs(enc, header.xattrs);
  return enc.Take();
}

Result<FileHeader> DecodeFileHeader(ByteSpan data) {
  encoding::Decoder dec(data, std::string(kWhat));
  if (data.size() > kMaxFileHeaderSize) return dec.Error("larger than 1 MiB");
  LARCH_RETURN_IF_ERROR(internal::DecodePrefix(dec, ObjectType::kFile));
  FileHeader h;
  LARCH_ASSIGN_OR_RETURN(uint8_t kind, dec.U8());
  h.kind = static_cast<FileKind>(kind);  // checked by ValidateFileHeader below
  LARCH_ASSIGN_OR_RETURN(h.mode, dec.U32());
  LARCH_ASSIGN_OR_RETURN(h.uid, dec.U32());
  LARCH_ASSIGN_OR_RETURN(h.gid, dec.U32());
  LARCH_ASSIGN_OR_RETURN(h.size, dec.U64());
  LARCH_ASSIGN_OR_RETURN(h.symlink_target, dec.Str(kMaxSymlinkTarget));
  LARCH_ASSIGN_OR_RETURN(h.xattrs, internal::DecodeXattrs(dec));
  LARCH_RETURN_IF_ERROR(dec.Finish());
  LARCH_RETURN_IF_ERROR(internal::AsCorruption(ValidateFileHeader(h)));
  return h;
}

Bytes EncodeFileHeaderFrame(const FileHeader& header) {
  Bytes body = EncodeFileHeader(header);
  encoding::Encoder enc;
  enc.U32(static_cast<uint32_t>(body.size()));
  enc.Raw(body);
  return enc.Take();
}

Result<ParsedHeaderFrame> DecodeFileHeaderFrame(ByteSpan data) {
  encoding::Decoder dec(data, "file header frame");
  LARCH_ASSIGN_OR_RETURN(uint32_t len, dec.U32());
  if (len > kMaxFileHeaderSize) {
    return dec.Error("header length " + std::to_string(len) + " exceeds 1 MiB");
  }
  LARCH_ASSIGN_OR_RETURN(ByteSpan body, dec.Raw(len));
  LARCH_ASSIGN_OR_RETURN(FileHeader header, DecodeFileHeader(body));
  return ParsedHeaderFrame{std::move(header), kFrameLengthSize + len};
}

}  // namespace larch::repo
