// File: repo/objects/object_id.h
// ObjectId: the SHA-256 that names an object; ObjectType: what kind it is.
// On disk an object lives at objects/<first 2 hex>/<other 62 hex>.<type>.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "src/base/bytes.h"
#include "src/base/result.h"
#include "src/crypto/sha256.h"

namespace larch::repo {

enum class ObjectType : uint8_t {
  kFile = 1,        // file header + content (regular file or symlink)
  kDirTree = 2,     // sorted directory entries
  kDirMeta = 3,     // mode, owner and xattrs of a directory
  kCommit = 4,      // root tree + metadata
  kCommitMeta = 5,  // detached signatures; shares its commit's id
  kVerityList = 6,  // fs-verity digests of a commit's files (verity_list.h)
};

// "file", "dirtree", "dirmeta", "commit", "commitmeta", "veritylist".
std::string_view ObjectTypeName(ObjectType type);
std::optional<ObjectType> ObjectTypeFromName(std::string_view name);

class ObjectId {
 public:
  static constexpr size_t kSize = 32;
  ObjectId() { bytes_.fill(0); }
  explicit ObjectId(const crypto::Sha256Digest& digest) : bytes_(digest) {}

  // Exactly 64 lower-case hex digits, else kInvalidArgument.
  static Result<ObjectId> FromHex(std::string_view hex);
  static Result<ObjectId> FromBytes(ByteSpan bytes);  // exactly 32 bytes
  static ObjectId HashOf(ByteSpan data) { return ObjectId(crypto::Sha256::Hash(data)); }

  std::string Hex() const;
  ByteSpan bytes() const { return bytes_; }
  const std::array<uint8_t, kSize>& array() const { return bytes_; }

  auto operator<=>(const ObjectId&) const = default;
  bool operator==(const ObjectId&) const = default;

 private:
  std::array<uint8_t, kSize> bytes_;
};

// An object is identified by id and type together: a commit and its
// commitmeta share an id.
struct ObjectKey {
  ObjectId id;
  ObjectType type;
  auto operator<=>(const ObjectKey&) const = default;
  bool operator==(const ObjectKey&) const = default;
};

struct ObjectIdHash {
  size_t operator()(const ObjectId& id) const {
    size_t h;
    static_assert(sizeof(h) <= ObjectId::kSize);
    __builtin_memcpy(&h, id.array().data(), sizeof(h));
    return h;
  }
};

}  // namespace larch::repo
