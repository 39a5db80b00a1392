// File: repo/diff.h
// DiffCommits: which paths two commits' trees add, remove or modify.
// Identical subtrees (same dirtree and dirmeta ids) are skipped without
// reading them. A path whose type changes (file <-> directory) is reported
// as removed and added.
#pragma once

#include <string>
#include <vector>

#include "repo/objects/object_id.h"
#include "repo/store.h"

namespace larch::repo {

enum class DiffKind { kAdded, kRemoved, kModified };

struct DiffEntry {
  DiffKind kind;
  std::string path;  // "/usr/bin/foo"
  bool is_dir = false;
};

std::string_view DiffKindName(DiffKind kind);

Result<std::vector<DiffEntry>> DiffCommits(const Store& store, const ObjectId& from,
                                           const ObjectId& to);

}  // namespace larch::repo
