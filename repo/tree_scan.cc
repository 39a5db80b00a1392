#include "repo/tree_scan.h"

#include <algorithm>

namespace larch::repo {

std::string DisplayPath(const std::string& dir_rel, const std::string& name) {
  if (dir_rel.empty()) return "/" + name;
  return "/" + dir_rel + "/" + name;
}

static const char* SpecialKind(mode_t mode) {
  if (S_ISCHR(mode)) return "character device";
  if (S_ISBLK(mode)) return "block device";
  if (S_ISFIFO(mode)) return "FIFO";
  if (S_ISSOCK(mode)) return "socket";
  return "special file";
}

static Status ScanDir(fs::Fs& fs, int dirfd, ScannedDir& dir, const ScanOptions& options,
                      std::vector<std::string>& skipped) {
  LARCH_ASSIGN_OR_RETURN(struct stat self, fs.FStat(dirfd));
  dir.meta.mode = self.st_mode;
  dir.meta.uid = self.st_uid;
  dir.meta.gid = self.st_gid;
  LARCH_ASSIGN_OR_RETURN(dir.meta.xattrs, fs.GetXattrs(dirfd, ""));
  LARCH_ASSIGN_OR_RETURN(auto entries, fs.ReadDir(dirfd));
  std::sort(entries.begin(), entries.end(),
            [](const fs::DirEntry& a, const fs::DirEntry& b) { return a.name < b.name; });
  for (const auto& e : entries) {
    LARCH_ASSIGN_OR_RETURN(struct stat st, fs.Stat(dirfd, e.name));
    std::string shown = DisplayPath(dir.rel_path, e.name);
    if (S_ISDIR(st.st_mode)) {
      auto sub = std::make_unique<ScannedDir>();
      sub->name = e.name;
      sub->rel_path = dir.rel_path.empty() ? e.name : dir.rel_path + "/" + e.name;
      LARCH_ASSIGN_OR_RETURN(UniqueFd subfd, fs.OpenDirPath(dirfd, e.name));
      LARCH_RETURN_IF_ERROR(ScanDir(fs, subfd.get(), *sub, options, skipped));
      dir.dirs.push_back(std::move(sub));
    } else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
      dir.files.push_back({e.name, st});
    } else if (options.skip_special) {
      skipped.push_back(shown);
    } else {
      return Status::Unsupported(
          std::string("cannot commit ") + shown + ": it is a " + SpecialKind(st.st_mode) +
          "; device nodes, FIFOs and sockets are not content (use --skip-special to leave "
          "them out)");
    }
  }
  return Status::Ok();
}

Result<ScanResult> ScanTree(fs::Fs& fs, int root_fd, const ScanOptions& options) {
  ScanResult result;
  result.root = std::make_unique<ScannedDir>();
  LARCH_RETURN_IF_ERROR(ScanDir(fs, root_fd, *result.root, options, result.skipped));
  return result;
}

}  // namespace larch::repo
