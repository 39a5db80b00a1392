// File: deploy/etc_merge.h
//
// The /etc three-way merge of a new deployment (docs/deploy.md, "/etc"):
//   old  the defaults of the deployment being left (its usr/etc)
//   user the /etc that deployment runs with (its etc: the user's edits)
//   new  the defaults of the new deployment (its usr/etc)
// For every path (files, symlinks and directories alike):
//   user == old (untouched)           follows new (changed, added or gone)
//   user != old, new == old           the user's version (edit, addition or
//                                     deletion) is kept
//   user != old, new == user          both made the same change: kept
//   otherwise                         a conflict: the user's version is kept,
//                                     the new default is written beside it as
//                                     <name>.larch-new, and the path reported
// Directories present as directories on every side that has them merge
// entry by entry; any other shape (a file that became a directory, a
// directory the user deleted or replaced) is compared as a whole subtree
// and decided as one path. Entries named *.larch-new in the user's /etc are
// Larch's own conflict copies: they are not carried over, and are made
// again if the conflict still stands.
#pragma once

#include <string>
#include <vector>

#include "src/base/result.h"
#include "src/fs/fs.h"

namespace larch::deploy {

// One side of the merge: dirfd/name, or absent when dirfd < 0 (no previous
// deployment) or when the entry does not exist.
struct EtcSide {
  int dirfd = -1;
  std::string name;
};

struct EtcMergeResult {
  std::vector<std::string> conflicts;  // paths below /etc, e.g. "ssh/sshd_config"
  uint64_t entries = 0;                // entries written
};

inline constexpr char kConflictSuffix[] = ".larch-new";

// Builds dst_dirfd/dst_name (which must not exist) from the three sides,
// with fresh copies only (never hard links). Nothing is synced.
Result<EtcMergeResult> MergeEtc(fs::Fs& fs, const EtcSide& old_defaults, const EtcSide& user,
                                const EtcSide& new_defaults, int dst_dirfd, const std::string& dst_name);

}  // namespace larch::deploy
