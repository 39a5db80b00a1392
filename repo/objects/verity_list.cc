// File: repo/objects/verity_list.cc
// Layout (docs/formats.md, "veritylist"):
//   u8 tag (6) | u8 version (1) | u32 count | count x (file id[32], digest[32])
#include "repo/objects/verity_list.h"

#include <algorithm>
#include <cassert>

#include "repo/objects/codec_internal.h"
#include "repo/objects/limits.h"
#include "src/encoding/encoding.h"

namespace larch::repo {

namespace {

constexpr std::string_view kWhat = "veritylist";

}  // namespace

const VerityEntry* VerityList::Find(const ObjectId& file) const {
  auto it = std::lower_bound(entries.begin(), entries.end(), file,
                             [](const VerityEntry& e, const ObjectId& id) { return e.file < id; });
  return it != entries.end() && it->file == file ? &*it : nullptr;
}

Status ValidateVerityList(const VerityList& list) {
  if (list.entries.size() > kMaxVerityEntries) {
    return internal::Invalid(kWhat, std::to_string(list.entries.size()) + " entries (at most " +
                                        std::to_string(kMaxVerityEntries) + ")");
  }
  for (size_t i = 1; i < list.entries.size(); ++i) {
    if (!(list.entries[i - 1].file < list.entries[i].file)) {
      return internal::Invalid(kWhat, "entry " + std::to_string(i) + " (file " + list.entries[i].file.Hex() +
                                          ") is not after the one before it: entries must be strictly "
                                          "increasing by file id");
    }
  }
  return Status::Ok();
}

Bytes EncodeVerityList(const VerityList& list) {
  assert(ValidateVerityList(list).ok());
  encoding::Encoder enc;
  internal::EncodePrefix(enc, ObjectType::kVerityList);
  enc.U32(static_cast<uint32_t>(list.entries.size()));
  for (const VerityEntry& e : list.entries) {
    internal::EncodeObjectId(enc, e.file);
    enc.Raw(e.digest);
  }
  return enc.Take();
}

Result<VerityList> DecodeVerityList(ByteSpan data) {
  encoding::Decoder dec(data, std::string(kWhat));
  LARCH_RETURN_IF_ERROR(internal::DecodePrefix(dec, ObjectType::kVerityList));
  LARCH_ASSIGN_OR_RETURN(uint32_t count,
                         dec.Count(static_cast<uint32_t>(kMaxVerityEntries), 2 * ObjectId::kSize));
  VerityList list;
  list.entries.resize(count);
  for (VerityEntry& e : list.entries) {
    LARCH_ASSIGN_OR_RETURN(e.file, internal::DecodeObjectId(dec));
    LARCH_ASSIGN_OR_RETURN(ByteSpan digest, dec.Raw(e.digest.size()));
    std::copy(digest.begin(), digest.end(), e.digest.begin());
  }
  LARCH_RETURN_IF_ERROR(dec.Finish());
  LARCH_RETURN_IF_ERROR(internal::AsCorruption(ValidateVerityList(list)));
  return list;
}

Result<std::optional<ObjectId>> VerityListOf(const Commit& commit) {
  auto it = commit.metadata.find(std::string(kVerityListKey));
  if (it == commit.metadata.end()) return std::optional<ObjectId>();
  Result<ObjectId> id = ObjectId::FromHex(it->second);
  if (!id.ok()) return Status::Corruption("commit metadata " + std::string(kVerityListKey) + ": " + id.status().message());
  return std::optional<ObjectId>(*id);
}

}  // namespace larch::repo
