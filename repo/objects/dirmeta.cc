// File: repo/objects/dirmeta.cc
// Layout (docs/formats.md, "dirmeta"):
//   u8 tag (3) | u8 version (1) | u32 mode | u32 uid | u32 gid | xattrs
#include "repo/objects/dirmeta.h"

#include <sys/stat.h>

#include <cassert>
#include <cstdio>

#include "repo/objects/codec_internal.h"
#include "src/encoding/encoding.h"

namespace larch::repo {

namespace {

constexpr std::string_view kWhat = "dirmeta";
constexpr uint32_t kAllowedModeBits = S_IFMT | 07777;

}  // namespace

Status ValidateDirMeta(const DirMeta& meta) {
  if ((meta.mode & ~kAllowedModeBits) != 0 || !S_ISDIR(meta.mode)) {
    char mode[16];
    std::snprintf(mode, sizeof(mode), "0%o", meta.mode);
    return internal::Invalid(kWhat, std::string("mode ") + mode + " is not a directory mode");
  }
  return internal::ValidateXattrs(meta.xattrs, kWhat);
}

Bytes EncodeDirMeta(const DirMeta& meta) {
  assert(ValidateDirMeta(meta).ok());
  encoding::Encoder enc;
  internal::EncodePrefix(enc, ObjectType::kDirMeta);
  enc.U32(meta.mode);
  enc.U32(meta.uid);
  enc.U32(meta.gid);
  internal::EncodeXattrs(enc, meta.xattrs);
  return enc.Take();
}

Result<DirMeta> DecodeDirMeta(ByteSpan data) {
  encoding::Decoder dec(data, std::string(kWhat));
  LARCH_RETURN_IF_ERROR(internal::DecodePrefix(dec, ObjectType::kDirMeta));
  DirMeta meta;
  LARCH_ASSIGN_OR_RETURN(meta.mode, dec.U32());
  LARCH_ASSIGN_OR_RETURN(meta.uid, dec.U32());
  LARCH_ASSIGN_OR_RETURN(meta.gid, dec.U32());
  LARCH_ASSIGN_OR_RETURN(meta.xattrs, internal::DecodeXattrs(dec));
  LARCH_RETURN_IF_ERROR(dec.Finish());
  LARCH_RETURN_IF_ERROR(internal::AsCorruption(ValidateDirMeta(meta)));
  return meta;
}

}  // namespace larch::repo
