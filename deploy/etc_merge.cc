// File: deploy/etc_merge.cc
#include "deploy/etc_merge.h"

#include <unistd.h>

#include <set>

#include "deploy/tree_copy.h"

namespace larch::deploy {

namespace {

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class Merger {
 public:
  explicit Merger(fs::Fs& fs) : fs_(fs) {}

  Status Node(const EtcSide& o, const EtcSide& u, const EtcSide& n, int dst_dirfd, const std::string& name,
              const std::string& rel);
  EtcMergeResult& result() { return result_; }

 private:
  Result<std::optional<NodeInfo>> Info(const EtcSide& side) {
    if (side.dirfd < 0) return std::optional<NodeInfo>();
    return ReadNode(fs_, side.dirfd, side.name);
  }
  Result<bool> Same(const EtcSide& a, const EtcSide& b, bool deep);
  Status Copy(const EtcSide& from, int dst_dirfd, const std::string& name);
  Status Whole(const EtcSide& o, const EtcSide& u, const EtcSide& n, int dst_dirfd, const std::string& name,
               const std::string& rel);
  Status Dir(const EtcSide& o, const EtcSide& u, const EtcSide& n, int dst_dirfd, const std::string& name,
             const std::string& rel);
  Result<std::set<std::string>> Names(const EtcSide& side, bool user);
  Result<EtcSide> Child(const EtcSide& parent, const std::string& name, std::vector<UniqueFd>& open);

  fs::Fs& fs_;
  EtcMergeResult result_;
};

Result<bool> Merger::Same(const EtcSide& a, const EtcSide& b, bool deep) {
  if (a.dirfd < 0 || b.dirfd < 0) {
    LARCH_ASSIGN_OR_RETURN(std::optional<NodeInfo> ai, Info(a));
    LARCH_ASSIGN_OR_RETURN(std::optional<NodeInfo> bi, Info(b));
    return !ai && !bi;
  }
  return SameNode(fs_, a.dirfd, a.name, b.dirfd, b.name, deep);
}

Status Merger::Copy(const EtcSide& from, int dst_dirfd, const std::string& name) {
  LARCH_ASSIGN_OR_RETURN(std::optional<NodeInfo> info, Info(from));
  if (!info) return Status::Ok();  // the chosen version is "absent"
  ++result_.entries;
  return CopyNode(fs_, from.dirfd, from.name, dst_dirfd, name);
}

// One path decided as a whole (see etc_merge.h).
Status Merger::Whole(const EtcSide& o, const EtcSide& u, const EtcSide& n, int dst_dirfd, const std::string& name,
                     const std::string& rel) {
  LARCH_ASSIGN_OR_RETURN(bool untouched, Same(u, o, true));
  if (untouched) return Copy(n, dst_dirfd, name);
  LARCH_ASSIGN_OR_RETURN(bool update_untouched, Same(n, o, true));
  bool same_change = false;
  if (!update_untouched) {
    LARCH_ASSIGN_OR_RETURN(same_change, Same(n, u, true));
  }
  LARCH_RETURN_IF_ERROR(Copy(u, dst_dirfd, name));
  if (update_untouched || same_change) return Status::Ok();
  result_.conflicts.push_back(rel);
  return Copy(n, dst_dirfd, name + kConflictSuffix);
}

Result<std::set<std::string>> Merger::Names(const EtcSide& side, bool user) {
  std::set<std::string> names;
  LARCH_ASSIGN_OR_RETURN(std::optional<NodeInfo> info, Info(side));
  if (!info || !info->is_dir()) return names;
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, fs_.OpenDirPath(side.dirfd, side.name));
  LARCH_ASSIGN_OR_RETURN(std::vector<fs::DirEntry> entries, fs_.ReadDir(dir.get()));
  for (const fs::DirEntry& e : entries)
    if (!user || !EndsWith(e.name, kConflictSuffix)) names.insert(e.name);
  return names;
}

// The side's entry `name`, with its directory opened into `open`.
Result<EtcSide> Merger::Child(const EtcSide& parent, const std::string& name, std::vector<UniqueFd>& open) {
  LARCH_ASSIGN_OR_RETURN(std::optional<NodeInfo> info, Info(parent));
  if (!info || !info->is_dir()) return EtcSide{};
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, fs_.OpenDirPath(parent.dirfd, parent.name));
  open.push_back(std::move(dir));
  return EtcSide{open.back().get(), name};
}

// Directories on every side that has them: entry by entry, then the
// directory's own metadata by the same three-way rule.
Status Merger::Dir(const EtcSide& o, const EtcSide& u, const EtcSide& n, int dst_dirfd, const std::string& name,
                   const std::string& rel) {
  LARCH_RETURN_IF_ERROR(fs_.Mkdir(dst_dirfd, name, 0700));
  LARCH_ASSIGN_OR_RETURN(UniqueFd dst, fs_.OpenDirPath(dst_dirfd, name));
  std::set<std::string> names;
  for (const EtcSide* side : {&o, &u, &n}) {
    LARCH_ASSIGN_OR_RETURN(std::set<std::string> more, Names(*side, side == &u));
    names.insert(more.begin(), more.end());
  }
  std::vector<UniqueFd> open;
  LARCH_ASSIGN_OR_RETURN(EtcSide oc, Child(o, "", open));
  LARCH_ASSIGN_OR_RETURN(EtcSide uc, Child(u, "", open));
  LARCH_ASSIGN_OR_RETURN(EtcSide nc, Child(n, "", open));
  for (const std::string& child : names) {
    oc.name = uc.name = nc.name = child;
    LARCH_RETURN_IF_ERROR(Node(oc, uc, nc, dst.get(), child, rel.empty() ? child : rel + "/" + child));
  }
  LARCH_ASSIGN_OR_RETURN(bool meta_untouched, Same(u, o, false));
  LARCH_ASSIGN_OR_RETURN(std::optional<NodeInfo> ni, Info(n));
  LARCH_ASSIGN_OR_RETURN(std::optional<NodeInfo> ui, Info(u));
  LARCH_ASSIGN_OR_RETURN(std::vector<fs::DirEntry> written, fs_.ReadDir(dst.get()));
  // The update removed a directory the user left alone: it goes, unless
  // something of the user's is still in it.
  if (meta_untouched && !ni && written.empty()) return fs_.Rmdir(dst_dirfd, name);
  const NodeInfo& meta = meta_untouched && ni ? *ni : *ui;
  if (::geteuid() == 0) LARCH_RETURN_IF_ERROR(fs_.Chown(dst_dirfd, name, meta.st.st_uid, meta.st.st_gid));
  LARCH_RETURN_IF_ERROR(fs_.FChmod(dst.get(), meta.st.st_mode & 07777));
  for (const fs::Xattr& x : meta.xattrs) LARCH_RETURN_IF_ERROR(fs_.SetXattr(dst.get(), "", x));
  ++result_.entries;
  return Status::Ok();
}

Status Merger::Node(const EtcSide& o, const EtcSide& u, const EtcSide& n, int dst_dirfd, const std::string& name,
                    const std::string& rel) {
  LARCH_ASSIGN_OR_RETURN(std::optional<NodeInfo> oi, Info(o));
  LARCH_ASSIGN_OR_RETURN(std::optional<NodeInfo> ui, Info(u));
  LARCH_ASSIGN_OR_RETURN(std::optional<NodeInfo> ni, Info(n));
  bool recurse = ui && ui->is_dir() && (oi || ni) && (!oi || oi->is_dir()) && (!ni || ni->is_dir());
  if (recurse) return Dir(o, u, n, dst_dirfd, name, rel);
  return Whole(o, u, n, dst_dirfd, name, rel);
}

}  // namespace

Result<EtcMergeResult> MergeEtc(fs::Fs& fs, const EtcSide& old_defaults, const EtcSide& user,
                                const EtcSide& new_defaults, int dst_dirfd, const std::string& dst_name) {
  Merger m(fs);
  LARCH_RETURN_IF_ERROR(m.Node(old_defaults, user, new_defaults, dst_dirfd, dst_name, ""));
  return std::move(m.result());
}

}  // namespace larch::deploy
