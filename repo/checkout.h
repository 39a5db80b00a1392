// File: repo/checkout.h
//
// Checkout: builds a commit's tree in a directory. Everything is created with
// *at() calls relative to directory descriptors of directories this code
// just made, so nothing is ever written through a symlink and nothing outside
// the target changes. The tree is built in a hidden sibling directory
// (".<name>.tmp-<random>") and renamed into place at the end, after a syncfs:
// the target name holds a complete tree or nothing.
//
//   copy      new files with the object's content, mode, owner and xattrs;
//             hard links of the committed tree are recreated exactly
//             (entries with the same file id and link slot).
//   hardlink  bare stores only: every file is a hard link to its object, so
//             a checkout costs only directories. Paths with the same content
//             object share one inode (a superset of the tree's own links).
#pragma once

#include <string>

#include "repo/objects/object_id.h"
#include "repo/store.h"
#include "src/base/progress.h"

namespace larch::repo {

enum class CheckoutMode { kCopy, kHardlink };

struct CheckoutOptions {
  CheckoutMode mode = CheckoutMode::kCopy;
  // Set owners from the objects (needs root); default: when running as root.
  bool preserve_owner = true;
  // syncfs before the final rename (off only for throwaway checkouts).
  bool sync = true;
  // Phase "checkout": bytes of file content checked out, of the commit's
  // content-size metadata (0 when the commit has none).
  ProgressFn progress = nullptr;
};

struct CheckoutStats {
  uint64_t files = 0;
  uint64_t dirs = 0;
  uint64_t hardlinks = 0;
  uint64_t bytes_copied = 0;
};

// `target` must not exist, or be an empty directory (which is replaced).
Result<CheckoutStats> CheckoutCommit(const Store& store, const ObjectId& commit,
                                     const std::string& target, const CheckoutOptions& options);

}  // namespace larch::repo
