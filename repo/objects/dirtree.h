// File: repo/objects/dirtree.h
//
// DirTree: the entries of one directory. Files carry their content size so a
// client can refuse endless data before downloading; link_slot preserves the
// source's hard-link structure: entries with the same file id and the same
// slot were one inode when committed (see docs/formats.md, "dirtree").
// Format rules enforced by the decoder: names are valid components (non-empty,
// not "." or "..", no '/' or NUL, at most 255 bytes), files and dirs are each
// strictly sorted by name (bytewise), and no name appears in both lists.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "repo/objects/limits.h"
#include "repo/objects/object_id.h"

namespace larch::repo {

struct DirTreeFile {
  std::string name;
  ObjectId file;
  uint64_t size = 0;
  uint32_t link_slot = 0;
  bool operator==(const DirTreeFile&) const = default;
};

struct DirTreeDir {
  std::string name;
  ObjectId tree;
  ObjectId meta;
  bool operator==(const DirTreeDir&) const = default;
};

struct DirTree {
  std::vector<DirTreeFile> files;
  std::vector<DirTreeDir> dirs;
  bool operator==(const DirTree&) const = default;
};

// Non-empty, not "." or "..", no '/' and no NUL, at most kMaxNameLength.
bool IsValidEntryName(std::string_view name);
// The decoder's rules; the message names the offending entry.
Status ValidateDirTree(const DirTree& tree);

Bytes EncodeDirTree(const DirTree& tree);
Result<DirTree> DecodeDirTree(ByteSpan data);

}  // namespace larch::repo
