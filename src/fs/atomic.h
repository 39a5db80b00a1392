// File: src/fs/atomic.h
//
// The durable write sequences, composed once from Fs calls. These are the only
// places outside the store's transaction code that rename or fsync.
#pragma once

#include <string>

#include "src/base/bytes.h"
#include "src/base/result.h"
#include "src/fs/fs.h"

namespace larch::fs {

// Replaces dirfd/name with `data` so that after a crash the name holds either
// the old bytes or the new ones, never a mix or nothing:
//   create ".larch-tmp-<random>" → write → fsync → rename over name →
//   fsync(dirfd). The temp file is unlinked on failure.
Status WriteFileAtomic(Fs& fs, int dirfd, const std::string& name,
                       ByteSpan data, mode_t mode = 0644);

// Replaces dirfd/name with a symlink to `target` the same way (temp symlink,
// rename, fsync(dirfd)).
Status SymlinkAtomic(Fs& fs, int dirfd, const std::string& target,
                     const std::string& name);

// Reads a whole (small) file.
Result<Bytes> ReadFileFully(Fs& fs, int dirfd, const std::string& name,
                            size_t max_size = 64u << 20);

// Creates directory dirfd/name if missing (mode applies only when created).
Status EnsureDir(Fs& fs, int dirfd, const std::string& name, mode_t mode = 0755);

// Removes dirfd/name and everything below it, never following symlinks.
// NotFound is success.
Status RemoveTree(Fs& fs, int dirfd, const std::string& name);

// A random name "<prefix><16 hex>" for staging files.
std::string TempName(const std::string& prefix);

// True when `name` is a single valid path component (non-empty, not "." or
// "..", no '/' and no NUL).
bool IsValidComponent(const std::string& name);

}  // namespace larch::fs

namespace larch::fs {

// A user-given path split into its parent directory (opened; symlinks in the
// parent path are the user's and are resolved once with realpath) and a
// final component that callers then create or inspect without following.
struct ParentAndName {
  UniqueFd parent;
  std::string name;
};
Result<ParentAndName> OpenParentOf(Fs& fs, const std::string& path);

}  // namespace larch::fs
