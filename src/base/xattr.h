// File: src/base/xattr.h
//
// An extended attribute as a value: what the object codecs encode and the
// filesystem layer reads and writes. It lives in base so the codecs
// (repo/objects/) use it without linking the filesystem library; fs::Xattr
// (src/fs/fs.h) is the same type.
#pragma once

#include <string>
#include <vector>

#include "src/base/bytes.h"

namespace larch {

// Name ("user.foo", "security.capability") and value. Lists of xattrs are
// kept sorted by name so their encoding is canonical.
struct Xattr {
  std::string name;
  Bytes value;
  bool operator==(const Xattr&) const = default;
};
using Xattrs = std::vector<Xattr>;

}  // namespace larch
