// File: repo/tree_scan.h
// ScanTree: reads a directory tree's shape and metadata (names, lstat, dir
// xattrs) in a deterministic order (entries sorted bytewise) without
// following any symlink. File content and file xattrs are read later, in
// parallel, by the commit builder.
#pragma once

#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "repo/objects/dirmeta.h"
#include "src/fs/fs.h"

namespace larch::repo {

struct ScannedFile {
  std::string name;
  struct stat st;
};

struct ScannedDir {
  std::string name;
  std::string rel_path;  // "" for the root, else "usr/bin"
  DirMeta meta;
  std::vector<ScannedFile> files;  // regular files and symlinks, sorted
  std::vector<std::unique_ptr<ScannedDir>> dirs;  // sorted
};

struct ScanOptions {
  bool skip_special = false;
};

struct ScanResult {
  std::unique_ptr<ScannedDir> root;
  std::vector<std::string> skipped;  // rel paths of special files left out
};

Result<ScanResult> ScanTree(fs::Fs& fs, int root_fd, const ScanOptions& options);

// "/" + rel path, for messages.
std::string DisplayPath(const std::string& dir_rel, const std::string& name);

}  // namespace larch::repo
