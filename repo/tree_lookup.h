// File: repo/tree_lookup.h
// LookupPath: finds "/usr/bin/foo" in a commit's tree by walking dirtrees
// component by component (symlinks inside the tree are entries, not
// followed).
#pragma once

#include <optional>
#include <string>

#include "repo/objects/commit.h"
#include "repo/objects/dirtree.h"
#include "repo/store.h"

namespace larch::repo {

struct TreeNode {
  std::string path;                   // normalised, "/" for the root
  std::optional<DirTreeFile> file;    // set for files and symlinks
  std::optional<DirTreeDir> dir;      // set for directories (root: name "")
};

Result<TreeNode> LookupPath(const Store& store, const Commit& commit, std::string_view path);

}  // namespace larch::repo
