// File: repo/objects/object_id.cc
#include "repo/objects/object_id.h"

#include <algorithm>
#include <array>

#include "src/base/hex.h"

namespace larch::repo {

namespace {

struct TypeName {
  ObjectType type;
  std::string_view name;
};

constexpr std::array<TypeName, 6> kTypeNames = {{
    {ObjectType::kFile, "file"},
    {ObjectType::kDirTree, "dirtree"},
    {ObjectType::kDirMeta, "dirmeta"},
    {ObjectType::kCommit, "commit"},
    {ObjectType::kCommitMeta, "commitmeta"},
    {ObjectType::kVerityList, "veritylist"},
}};

// Untrusted text goes into error messages; keep them short.
std::string Shorten(std::string_view s) {
  constexpr size_t kMax = 80;
  if (s.size() <= kMax) return std::string(s);
  return std::string(s.substr(0, kMax)) + "...";
}

}  // namespace

std::string_view ObjectTypeName(ObjectType type) {
  for (const TypeName& t : kTypeNames) {
    if (t.type == type) return t.name;
  }
  return "unknown";
}

std::optional<ObjectType> ObjectTypeFromName(std::string_view name) {
  for (const TypeName& t : kTypeNames) {
    if (t.name == name) return t.type;
  }
  return std::nullopt;
}

Result<ObjectId> ObjectId::FromHex(std::string_view hex) {
  std::optional<Bytes> bytes;
  if (hex.size() == 2 * kSize) bytes = HexDecode(hex);
  if (!bytes) {
    return Status::InvalidArgument("invalid object id \"" + Shorten(hex) +
                                   "\": want 64 lower-case hex digits");
  }
  return FromBytes(*bytes);
}

Result<ObjectId> ObjectId::FromBytes(ByteSpan bytes) {
  if (bytes.size() != kSize) {
    return Status::InvalidArgument("invalid object id: " + std::to_string(bytes.size()) +
                                   " bytes, want 32");
  }
  ObjectId id;
  std::copy(bytes.begin(), bytes.end(), id.bytes_.begin());
  return id;
}

std::string ObjectId::Hex() const { return HexEncode(bytes_); }

}  // namespace larch::repo
