#include "repo/tree_lookup.h"

#include <algorithm>

namespace larch::repo {

Result<TreeNode> LookupPath(const Store& store, const Commit& commit, std::string_view path) {
  TreeNode node;
  node.dir = DirTreeDir{"", commit.root_tree, commit.root_meta};
  node.path = "";
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    std::string part(path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos));
    pos = slash == std::string_view::npos ? path.size() : slash + 1;
    if (part.empty() || part == ".") continue;
    std::string shown = node.path + "/" + part;
    if (!node.dir) return Status::NotFound(node.path + " is not a directory");
    if (!IsValidEntryName(part)) return Status::InvalidArgument("invalid path component in " + shown);
    LARCH_ASSIGN_OR_RETURN(DirTree tree, store.ReadDirTree(node.dir->tree));
    auto f = std::find_if(tree.files.begin(), tree.files.end(), [&](auto& e) { return e.name == part; });
    auto d = std::find_if(tree.dirs.begin(), tree.dirs.end(), [&](auto& e) { return e.name == part; });
    node.path = shown;
    node.file.reset();
    node.dir.reset();
    if (f != tree.files.end()) node.file = *f;
    else if (d != tree.dirs.end()) node.dir = *d;
    else return Status::NotFound("no such path in commit: " + shown);
  }
  if (node.path.empty()) node.path = "/";
  return node;
}

}  // namespace larch::repo
