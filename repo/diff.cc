#include "repo/diff.h"

#include <map>

namespace larch::repo {

namespace {

struct Side {
  const DirTreeFile* file = nullptr;
  const DirTreeDir* dir = nullptr;
};

class Differ {
 public:
  explicit Differ(const Store& store) : store_(store) {}
  Status Trees(const ObjectId* a, const ObjectId* b, const std::string& path);
  std::vector<DiffEntry> take() { return std::move(out_); }

 private:
  Status Entry(const Side& a, const Side& b, const std::string& path);
  Status Whole(DiffKind kind, const DirTreeDir& dir, const std::string& path);

  const Store& store_;
  std::vector<DiffEntry> out_;
};

// Every path under an added or removed directory is reported too.
Status Differ::Whole(DiffKind kind, const DirTreeDir& dir, const std::string& path) {
  out_.push_back({kind, path, true});
  return kind == DiffKind::kAdded ? Trees(nullptr, &dir.tree, path) : Trees(&dir.tree, nullptr, path);
}

Status Differ::Entry(const Side& a, const Side& b, const std::string& path) {
  if (a.file && b.file) {
    if (a.file->file != b.file->file) out_.push_back({DiffKind::kModified, path, false});
    return Status::Ok();
  }
  if (a.dir && b.dir) {
    if (a.dir->meta != b.dir->meta) out_.push_back({DiffKind::kModified, path, true});
    if (a.dir->tree != b.dir->tree) return Trees(&a.dir->tree, &b.dir->tree, path);
    return Status::Ok();
  }
  if (a.file) out_.push_back({DiffKind::kRemoved, path, false});
  if (a.dir) LARCH_RETURN_IF_ERROR(Whole(DiffKind::kRemoved, *a.dir, path));
  if (b.file) out_.push_back({DiffKind::kAdded, path, false});
  if (b.dir) LARCH_RETURN_IF_ERROR(Whole(DiffKind::kAdded, *b.dir, path));
  return Status::Ok();
}

Status Differ::Trees(const ObjectId* a, const ObjectId* b, const std::string& path) {
  DirTree ta, tb;
  if (a) {
    LARCH_ASSIGN_OR_RETURN(ta, store_.ReadDirTree(*a));
  }
  if (b) {
    LARCH_ASSIGN_OR_RETURN(tb, store_.ReadDirTree(*b));
  }
  std::map<std::string, std::pair<Side, Side>> names;
  for (const auto& f : ta.files) names[f.name].first.file = &f;
  for (const auto& d : ta.dirs) names[d.name].first.dir = &d;
  for (const auto& f : tb.files) names[f.name].second.file = &f;
  for (const auto& d : tb.dirs) names[d.name].second.dir = &d;
  for (const auto& [name, sides] : names)
    LARCH_RETURN_IF_ERROR(Entry(sides.first, sides.second, path + "/" + name));
  return Status::Ok();
}

}  // namespace

std::string_view DiffKindName(DiffKind kind) {
  switch (kind) {
    case DiffKind::kAdded: return "added";
    case DiffKind::kRemoved: return "removed";
    case DiffKind::kModified: return "modified";
  }
  return "?";
}

Result<std::vector<DiffEntry>> DiffCommits(const Store& store, const ObjectId& from,
                                           const ObjectId& to) {
  LARCH_ASSIGN_OR_RETURN(Commit a, store.ReadCommit(from));
  LARCH_ASSIGN_OR_RETURN(Commit b, store.ReadCommit(to));
  Differ differ(store);
  LARCH_RETURN_IF_ERROR(differ.Trees(&a.root_tree, &b.root_tree, ""));
  std::vector<DiffEntry> entries = differ.take();
  if (a.root_meta != b.root_meta) entries.insert(entries.begin(), {DiffKind::kModified, "/", true});
  return entries;
}

}  // namespace larch::repo
