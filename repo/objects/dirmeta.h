// File: repo/objects/dirmeta.h
// DirMeta: mode, owner and xattrs of a directory; shared by every directory
// with the same metadata. Format: docs/formats.md, "dirmeta".
#pragma once

#include <cstdint>

#include "src/base/bytes.h"
#include "src/base/result.h"
#include "src/base/xattr.h"

namespace larch::repo {

struct DirMeta {
  uint32_t mode = 0;  // S_IFDIR | 07777 bits
  uint32_t uid = 0;
  uint32_t gid = 0;
  Xattrs xattrs;  // sorted by name, unique
  bool operator==(const DirMeta&) const = default;
};

Status ValidateDirMeta(const DirMeta& meta);
Bytes EncodeDirMeta(const DirMeta& meta);
Result<DirMeta> DecodeDirMeta(ByteSpan data);

}  // namespace larch::repo
