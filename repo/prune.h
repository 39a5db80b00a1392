// File: repo/prune.h
// Prune: deletes objects no ref can reach (through a ref's commit, its tree
// and, by default, its ancestors), and staging left by crashed transactions.
// Commits go first, then a syncfs, then the rest: a crash midway never leaves
// a commit whose tree was already deleted.
#pragma once

#include <cstdint>

#include "repo/store.h"

namespace larch::repo {

struct PruneOptions {
  bool dry_run = false;
  bool keep_history = true;  // false: keep only the commits refs name
};

struct PruneStats {
  uint64_t objects_total = 0;
  uint64_t objects_deleted = 0;
  uint64_t bytes_freed = 0;
};

Result<PruneStats> Prune(Store& store, const PruneOptions& options);

}  // namespace larch::repo
