#include "repo/reachability.h"

namespace larch::repo {

static Status WalkTree(const Store& store, const ObjectId& tree_id, const std::string& path,
                       const ObjectVisitor& visit) {
  Result<DirTree> tree = store.ReadDirTree(tree_id);
  if (!tree.ok()) return tree.status().WithContext("directory " + (path.empty() ? "/" : path));
  for (const DirTreeFile& f : tree->files) visit({f.file, ObjectType::kFile}, path + "/" + f.name);
  for (const DirTreeDir& d : tree->dirs) {
    std::string sub = path + "/" + d.name;
    visit({d.meta, ObjectType::kDirMeta}, sub);
    if (visit({d.tree, ObjectType::kDirTree}, sub))
      LARCH_RETURN_IF_ERROR(WalkTree(store, d.tree, sub, visit));
  }
  return Status::Ok();
}

Status WalkCommitTree(const Store& store, const Commit& commit, const ObjectVisitor& visit) {
  LARCH_ASSIGN_OR_RETURN(std::optional<ObjectId> verity, VerityListOf(commit));
  if (verity) visit({*verity, ObjectType::kVerityList}, std::string(kVerityListPath));
  visit({commit.root_meta, ObjectType::kDirMeta}, "/");
  if (!visit({commit.root_tree, ObjectType::kDirTree}, "/")) return Status::Ok();
  return WalkTree(store, commit.root_tree, "", visit);
}

Result<std::set<ObjectKey>> ReachableObjects(const Store& store, const std::set<ObjectId>& commits,
                                             bool follow_parents) {
  std::set<ObjectKey> keep;
  std::vector<ObjectId> todo(commits.begin(), commits.end());
  while (!todo.empty()) {
    ObjectId id = todo.back();
    todo.pop_back();
    if (!keep.insert({id, ObjectType::kCommit}).second) continue;
    keep.insert({id, ObjectType::kCommitMeta});
    LARCH_ASSIGN_OR_RETURN(Commit commit, store.ReadCommit(id));
    LARCH_RETURN_IF_ERROR(WalkCommitTree(store, commit, [&](const ObjectKey& key, const std::string&) {
      return keep.insert(key).second;
    }));
    if (follow_parents && commit.parent) {
      LARCH_ASSIGN_OR_RETURN(bool has_parent, store.HasObject({*commit.parent, ObjectType::kCommit}));
      if (has_parent) todo.push_back(*commit.parent);
    }
  }
  return keep;
}

}  // namespace larch::repo
