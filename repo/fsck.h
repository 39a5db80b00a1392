// File: repo/fsck.h
// Fsck: checks every object in the store (re-hashes content, decodes
// metadata), that every commit present has every object it names, and that
// every ref names a present commit. Problems are collected, each naming the
// object (objects/xx/....type) or ref; fsck itself changes nothing.
#pragma once

#include <string>
#include <vector>

#include "repo/store.h"

namespace larch::repo {

struct FsckOptions {
  unsigned threads = 0;  // 0: every core
};

struct FsckReport {
  uint64_t objects = 0;
  uint64_t commits = 0;
  uint64_t refs = 0;
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
};

Result<FsckReport> Fsck(const Store& store, const FsckOptions& options);

}  // namespace larch::repo
