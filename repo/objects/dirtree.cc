// File: repo/objects/dirtree.cc
// Layout (docs/formats.md, "dirtree"):
//   u8 tag (2) | u8 version (1) |
//   u32 file count | per file: u32 len + name, id[32], u64 size, u32 link_slot
//   u32 dir count  | per dir:  u32 len + name, tree id[32], meta id[32]
#include "repo/objects/dirtree.h"

#include <cassert>

#include "repo/objects/codec_internal.h"
#include "src/encoding/encoding.h"

namespace larch::repo {

namespace {

constexpr std::string_view kWhat = "dirtree";
// Smallest parseable entries (empty name), so a forged count cannot make
// the decoder reserve more than the input could describe.
constexpr size_t kMinFileEntrySize = 4 + ObjectId::kSize + 8 + 4;
constexpr size_t kMinDirEntrySize = 4 + 2 * ObjectId::kSize;

// Names valid and strictly increasing, which also rules out duplicates.
template <typename Entry>
Status ValidateNames(const std::vector<Entry>& entries) {
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& name = entries[i].name;
    if (!IsValidEntryName(name)) {
      return internal::Invalid(kWhat, "invalid entry name " + internal::Quote(name));
    }
    if (i == 0) continue;
    const std::string& prev = entries[i - 1].name;
    if (prev == name) return internal::Invalid(kWhat, "duplicate entry " + internal::Quote(name));
    if (!(prev < name)) {
      return internal::Invalid(kWhat, "entries not sorted: " + internal::Quote(name) + " after " +
                                          internal::Quote(prev));
    }
  }
  return Status::Ok();
}

// Both lists are sorted, so one merge pass finds a name in both.
Status ValidateDisjoint(const DirTree& tree) {
  size_t f = 0;
  size_t d = 0;
  while (f < tree.files.size() && d < tree.dirs.size()) {
    const std::string& file = tree.files[f].name;
    const std::string& dir = tree.dirs[d].name;
    if (file == dir) {
      return internal::Invalid(kWhat, internal::Quote(file) + " is both a file and a directory");
    }
    if (file < dir) {
      ++f;
    } else {
      ++d;
    }
  }
  return Status::Ok();
}

Result<DirTreeFile> DecodeFileEntry(encoding::Decoder& dec) {
  DirTreeFile file;
  LARCH_ASSIGN_OR_RETURN(file.name, dec.Str(kMaxNameLength));
  LARCH_ASSIGN_OR_RETURN(file.file, internal::DecodeObjectId(dec));
  LARCH_ASSIGN_OR_RETURN(file.size, dec.U64());
  LARCH_ASSIGN_OR_RETURN(file.link_slot, dec.U32());
  return file;
}

Result<DirTreeDir> DecodeDirEntry(encoding::Decoder& dec) {
  DirTreeDir dir;
  LARCH_ASSIGN_OR_RETURN(dir.name, dec.Str(kMaxNameLength));
  LARCH_ASSIGN_OR_RETURN(dir.tree, internal::DecodeObjectId(dec));
  LARCH_ASSIGN_OR_RETURN(dir.meta, internal::DecodeObjectId(dec));
  return dir;
}

}  // namespace

bool IsValidEntryName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameLength && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

Status ValidateDirTree(const DirTree& tree) {
  if (tree.files.size() > kMaxDirEntries || tree.dirs.size() > kMaxDirEntries - tree.files.size()) {
    return internal::Invalid(kWhat, "more than " + std::to_string(kMaxDirEntries) + " entries");
  }
  LARCH_RETURN_IF_ERROR(ValidateNames(tree.files));
  LARCH_RETURN_IF_ERROR(ValidateNames(tree.dirs));
  return ValidateDisjoint(tree);
}

Bytes EncodeDirTree(const DirTree& tree) {
  assert(ValidateDirTree(tree).ok());
  encoding::Encoder enc;
  internal::EncodePrefix(enc, ObjectType::kDirTree);
  enc.U32(static_cast<uint32_t>(tree.files.size()));
  for (const DirTreeFile& f : tree.files) {
    enc.Str(f.name);
    internal::EncodeObjectId(enc, f.file);
    enc.U64(f.size);
    enc.U32(f.link_slot);
  }
  enc.U32(static_cast<uint32_t>(tree.dirs.size()));
  for (const DirTreeDir& d : tree.dirs) {
    enc.Str(d.name);
    internal::EncodeObjectId(enc, d.tree);
    internal::EncodeObjectId(enc, d.meta);
  }
  return enc.Take();
}

Result<DirTree> DecodeDirTree(ByteSpan data) {
  encoding::Decoder dec(data, std::string(kWhat));
  LARCH_RETURN_IF_ERROR(internal::DecodePrefix(dec, ObjectType::kDirTree));
  DirTree tree;
  LARCH_ASSIGN_OR_RETURN(uint32_t file_count, dec.Count(kMaxDirEntries, kMinFileEntrySize));
  tree.files.reserve(file_count);
  for (uint32_t i = 0; i < file_count; ++i) {
    LARCH_ASSIGN_OR_RETURN(DirTreeFile file, DecodeFileEntry(dec));
    tree.files.push_back(std::move(file));
  }
  const auto max_dirs = static_cast<uint32_t>(kMaxDirEntries - file_count);
  LARCH_ASSIGN_OR_RETURN(uint32_t dir_count, dec.Count(max_dirs, kMinDirEntrySize));
  tree.dirs.reserve(dir_count);
  for (uint32_t i = 0; i < dir_count; ++i) {
    LARCH_ASSIGN_OR_RETURN(DirTreeDir dir, DecodeDirEntry(dec));
    tree.dirs.push_back(std::move(dir));
  }
  LARCH_RETURN_IF_ERROR(dec.Finish());
  LARCH_RETURN_IF_ERROR(internal::AsCorruption(ValidateDirTree(tree)));
  return tree;
}

}  // namespace larch::repo
