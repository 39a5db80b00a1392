// File: repo/objects/commit.cc
// Layout (docs/formats.md, "commit"):
//   u8 tag (4) | u8 version (1) | root tree id[32] | root meta id[32] |
//   u8 has_parent (0|1) [+ parent id[32]] | u64 timestamp |
//   u32 len + subject | u32 len + body |
//   u32 count | per entry: u32 len + key, u32 len + value (keys ascending)
#include "repo/objects/commit.h"

#include <cassert>
#include <utility>
#include <vector>

#include "repo/objects/codec_internal.h"
#include "src/encoding/encoding.h"

namespace larch::repo {

namespace {

constexpr std::string_view kWhat = "commit";
// Smallest parseable entry: two empty length-prefixed strings.
constexpr size_t kMinMetadataEntrySize = 4 + 4;

// Parses the pairs in stored order, keeping the order visible: a std::map
// would silently sort and deduplicate, accepting non-canonical input.
Result<std::map<std::string, std::string>> DecodeMetadata(encoding::Decoder& dec) {
  LARCH_ASSIGN_OR_RETURN(uint32_t count,
                         dec.Count(kMaxMetadataEntries, kMinMetadataEntrySize));
  std::map<std::string, std::string> metadata;
  for (uint32_t i = 0; i < count; ++i) {
    LARCH_ASSIGN_OR_RETURN(std::string key, dec.Str(kMaxMetadataKey));
    LARCH_ASSIGN_OR_RETURN(std::string value, dec.Str(kMaxMetadataValue));
    if (!metadata.empty()) {
      const std::string& prev = metadata.rbegin()->first;
      if (prev == key) return dec.Error("duplicate metadata key " + internal::Quote(key));
      if (!(prev < key)) {
        return dec.Error("metadata keys not sorted: " + internal::Quote(key) + " after " +
                         internal::Quote(prev));
      }
    }
    metadata.emplace_hint(metadata.end(), std::move(key), std::move(value));
  }
  return metadata;
}

}  // namespace

bool IsValidMetadataKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxMetadataKey) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    const bool punct = c == '.' || c == '_' || c == '-';
    if (!alnum && !(i > 0 && punct)) return false;
  }
  return true;
}

Status ValidateCommit(const Commit& commit) {
  if (commit.subject.size() > kMaxSubject) {
    return internal::Invalid(kWhat, "subject exceeds " + std::to_string(kMaxSubject) + " bytes");
  }
  if (commit.body.size() > kMaxBody) {
    return internal::Invalid(kWhat, "body exceeds " + std::to_string(kMaxBody) + " bytes");
  }
  if (commit.metadata.size() > kMaxMetadataEntries) {
    return internal::Invalid(kWhat, "more than " + std::to_string(kMaxMetadataEntries) +
                                        " metadata entries");
  }
  for (const auto& [key, value] : commit.metadata) {
    if (!IsValidMetadataKey(key)) {
      return internal::Invalid(kWhat, "invalid metadata key " + internal::Quote(key));
    }
    if (value.size() > kMaxMetadataValue) {
      return internal::Invalid(kWhat, "metadata " + internal::Quote(key) + " value exceeds " +
                                          std::to_string(kMaxMetadataValue) + " bytes");
    }
  }
  return Status::Ok();
}

Bytes EncodeCommit(const Commit& commit) {
  assert(ValidateCommit(commit).ok());
  encoding::Encoder enc;
  internal::EncodePrefix(enc, ObjectType::kCommit);
  internal::EncodeObjectId(enc, commit.root_tree);
  internal::EncodeObjectId(enc, commit.root_meta);
  enc.U8(commit.parent ? 1 : 0);
  if (commit.parent) internal::EncodeObjectId(enc, *commit.parent);
  enc.U64(commit.timestamp);
  enc.Str(commit.subject);
  enc.Str(commit.body);
  enc.U32(static_cast<uint32_t>(commit.metadata.size()));
  for (const auto& [key, value] : commit.metadata) {
    enc.Str(key);
    enc.Str(value);
  }
  return enc.Take();
}

Result<Commit> DecodeCommit(ByteSpan data) {
  encoding::Decoder dec(data, std::string(kWhat));
  LARCH_RETURN_IF_ERROR(internal::DecodePrefix(dec, ObjectType::kCommit));
  Commit commit;
  LARCH_ASSIGN_OR_RETURN(commit.root_tree, internal::DecodeObjectId(dec));
  LARCH_ASSIGN_OR_RETURN(commit.root_meta, internal::DecodeObjectId(dec));
  LARCH_ASSIGN_OR_RETURN(uint8_t has_parent, dec.U8());
  if (has_parent > 1) return dec.Error("invalid parent flag " + std::to_string(has_parent));
  if (has_parent == 1) {
    LARCH_ASSIGN_OR_RETURN(commit.parent, internal::DecodeObjectId(dec));
  }
  LARCH_ASSIGN_OR_RETURN(commit.timestamp, dec.U64());
  LARCH_ASSIGN_OR_RETURN(commit.subject, dec.Str(kMaxSubject));
  LARCH_ASSIGN_OR_RETURN(commit.body, dec.Str(kMaxBody));
  LARCH_ASSIGN_OR_RETURN(commit.metadata, DecodeMetadata(dec));
  LARCH_RETURN_IF_ERROR(dec.Finish());
  LARCH_RETURN_IF_ERROR(internal::AsCorruption(ValidateCommit(commit)));
  return commit;
}

}  // namespace larch::repo
