// File: deploy/tree_copy.h
//
// Copying and comparing filesystem entries through fs::Fs, never following
// a symlink: what the /etc merge and the boot-file install need. A copy is
// a new inode with the source's content, mode, owner and xattrs (chown
// before chmod, so setuid bits survive), never a hard link: files of a
// deployment's /etc are edited in place, and a hard link to a store object
// would carry the edit into the store.
#pragma once

#include <sys/stat.h>

#include <optional>
#include <string>

#include "src/base/result.h"
#include "src/fs/fs.h"

namespace larch::deploy {

// One entry's type and metadata (lstat, xattrs, symlink target).
struct NodeInfo {
  struct stat st;
  fs::Xattrs xattrs;
  std::string symlink_target;
  bool is_dir() const { return S_ISDIR(st.st_mode); }
};

// nullopt when dirfd/name does not exist.
Result<std::optional<NodeInfo>> ReadNode(fs::Fs& fs, int dirfd, const std::string& name);

// Copies dirfd/name (file, symlink or whole directory) to dst_dirfd/dst_name,
// which must not exist. Device nodes, FIFOs and sockets are refused.
// Nothing is synced: the caller syncs the filesystem once.
Status CopyNode(fs::Fs& fs, int src_dirfd, const std::string& name, int dst_dirfd, const std::string& dst_name);

// True when both exist with the same type, mode, owner, xattrs and content
// (or symlink target); for directories also the same entries, compared the
// same way, all the way down (deep) or not at all (!deep: metadata only).
// Both absent is equal. The same inode is equal without reading it.
Result<bool> SameNode(fs::Fs& fs, int a_dirfd, const std::string& a_name, int b_dirfd,
                      const std::string& b_name, bool deep);

// Bytes of every regular file below dirfd/name (or of the file itself),
// plus one block per directory: what a copy of it costs on disk, roughly.
Result<uint64_t> TreeBytes(fs::Fs& fs, int dirfd, const std::string& name);

}  // namespace larch::deploy
