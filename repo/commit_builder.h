// File: repo/commit_builder.h
//
// CommitTree: turns a directory tree into objects and a commit, and moves a
// ref to it, all in one Transaction. Only objects the store lacks are
// written, so a tree that shares content with an earlier commit costs only
// its new files. Hashing and compression run on every core.
//
// What a tree may hold (docs/decisions.md, "Special files"): regular files,
// symlinks, directories (empty ones too), hard links (kept: see link_slot in
// dirtree.h), setuid/setgid/sticky bits, owners and xattrs. Device nodes,
// FIFOs and sockets are refused with kUnsupported naming the path, because
// /dev comes from devtmpfs at boot and such nodes in an OS image are a
// security risk; with skip_special they are left out and reported.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "repo/objects/object_id.h"
#include "repo/store.h"
#include "src/base/progress.h"

namespace larch::repo {

struct CommitOptions {
  std::string branch;  // ref to move (required)
  std::string subject;
  std::string body;
  std::map<std::string, std::string> metadata;  // commit metadata (version, os, ...)
  bool skip_special = false;
  // Seconds since the epoch; default: $SOURCE_DATE_EPOCH if set, else now.
  std::optional<uint64_t> timestamp;
  unsigned threads = 0;  // 0: every core
  // Archive stores without a zstd dictionary train one from the small files
  // of the first tree that has at least this many (docs/store.md).
  size_t dictionary_min_samples = 64;
  uint64_t dictionary_min_bytes = 8 << 20;
  // Phase "commit": bytes of file content hashed and stored, of the sum of
  // the tree's file sizes (known from the scan before hashing starts).
  ProgressFn progress = nullptr;
  // Bind the fs-verity digest of every regular file to the commit: a
  // veritylist object named by the metadata key verity-list (docs/verity.md).
  // Off only for fleets whose devices run a Larch that cannot read it yet.
  bool verity_list = true;
};

struct CommitStats {
  ObjectId commit;
  std::optional<ObjectId> parent;
  uint64_t files = 0;
  uint64_t dirs = 0;
  uint64_t content_bytes = 0;
  uint64_t new_objects = 0;
  std::optional<ObjectId> verity_list;  // the commit's veritylist, when made
  std::vector<std::string> skipped;  // special files left out (skip_special)
};

Result<CommitStats> CommitTree(Store& store, const std::string& tree_path,
                               const CommitOptions& options);

}  // namespace larch::repo
