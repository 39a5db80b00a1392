// File: repo/fsck.h
// Fsck: checks every object in the store (re-hashes content, decodes
// metadata; a file object sealed with fs-verity must also carry the digest
// the verity lists of the store's commits give it), that every commit present has every object it names, and that
// every ref names a present commit. Problems are collected, each naming the
// object (objects/xx/....type) or ref; fsck itself changes nothing.
#pragma once

#include <string>
#include <vector>

#include "repo/store.h"

namespace larch::repo {

struct FsckOptions {
  unsigned threads = 0;  // 0: every core
  // A sealed file object whose seal carries its listed digest is not read:
  // O(1) per file, trusting the kernel to check its pages when they are
  // read. Off by default: only reading finds a block changed on the disk
  // (the kernel refuses it with an I/O error, named as a problem).
  bool seals_only = false;
};

struct FsckReport {
  uint64_t objects = 0;
  uint64_t commits = 0;
  uint64_t refs = 0;
  uint64_t sealed = 0;  // file objects sealed with fs-verity
  std::vector<std::string> problems;
  std::vector<ObjectKey> bad_objects;  // objects that failed their own check (a repair re-fetches them)
  bool ok() const { return problems.empty(); }
};

Result<FsckReport> Fsck(const Store& store, const FsckOptions& options);

}  // namespace larch::repo
