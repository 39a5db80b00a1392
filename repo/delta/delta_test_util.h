// File: repo/delta/delta_test_util.h
// Test-only helpers for the delta tests: a publisher store holding two
// versions of a small tree, and device stores holding the first.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "repo/delta/apply.h"
#include "repo/delta/generate.h"
#include "repo/refs.h"
#include "repo/repo_test_util.h"

namespace larch::delta::testing {

using namespace larch::repo;           // NOLINT: test helpers
using namespace larch::repo::testing;  // NOLINT

inline constexpr char kBranch[] = "os/stable";

// Deterministic "binary" content: similar between versions, with a few
// bytes changed and a few inserted, like a rebuilt library.
inline std::string Binary(int version, size_t size) {
  std::string s;
  uint32_t x = 12345;
  while (s.size() < size) {
    x = x * 1103515245 + 12345;
    s += static_cast<char>((x >> 16) & 0x3f);
    if (s.size() % 4096 == 0) s += "symbol_" + std::to_string(s.size() / 4096) + "_v" + std::to_string(version);
  }
  return s;
}

// v1 and v2 differ the way a security update does: a changed binary, a
// library whose versioned name changed, a moved file, a new file, a removed
// file, a changed symlink and a new directory.
inline void MakeVersion(const std::string& root, int v) {
  namespace stdfs = std::filesystem;
  stdfs::create_directories(root + "/usr/bin");
  stdfs::create_directories(root + "/usr/lib");
  stdfs::create_directories(root + "/etc");
  WriteTestFile(root + "/usr/bin/tool", Binary(v, 200000), 0755);
  WriteTestFile(root + "/usr/lib/libfoo.so.3.0." + std::to_string(10 + v), Binary(v + 7, 120000));
  WriteTestFile(root + "/etc/os-release", "NAME=test\nVERSION=" + std::to_string(v) + "\n");
  WriteTestFile(root + "/etc/unchanged", "same in every version\n");
  WriteTestFile(root + (v == 1 ? "/etc/old-place" : "/usr/lib/new-place"), "moved file\n");
  WriteTestFile(root + "/usr/lib/empty", "");
  ::symlink(v == 1 ? "tool" : "tool-v2", (root + "/usr/bin/link").c_str());
  if (v == 1) WriteTestFile(root + "/etc/removed-in-v2", "bye\n");
  if (v == 2) {
    stdfs::create_directories(root + "/usr/share/new");
    WriteTestFile(root + "/usr/share/new/added", Binary(9, 5000));
  }
}

inline CommitOptions VersionOptions(int v) {
  CommitOptions o = TestCommitOptions(kBranch);
  o.metadata = {{"version", std::to_string(v)},
                {"ref-binding", kBranch},
                {"compatible", "board-a board-b"}};
  return o;
}

struct Publisher {
  TempDir dir;
  std::unique_ptr<Store> store;
  ObjectId v1, v2;
  std::string tree1 = dir.Sub("v1"), tree2 = dir.Sub("v2");

  explicit Publisher(StoreMode mode = StoreMode::kArchive) {
    MakeVersion(tree1, 1);
    MakeVersion(tree2, 2);
    store = NewStore(dir.Sub("publisher"), mode);
    v1 = Must(CommitTree(*store, tree1, VersionOptions(1))).commit;
    v2 = Must(CommitTree(*store, tree2, VersionOptions(2))).commit;
  }

  // A device store holding v1 (same commit id: same tree, same options).
  std::unique_ptr<Store> Device(const std::string& name, StoreMode mode) {
    auto device = NewStore(dir.Sub(name), mode);
    ObjectId id = Must(CommitTree(*device, tree1, VersionOptions(1))).commit;
    EXPECT_EQ(id, v1);
    return device;
  }

  GeneratedDelta Build(std::optional<ObjectId> from) {
    GenerateOptions options;
    options.from = from;
    options.to = v2;
    options.threads = 1;
    return Must(BuildDelta(*store, options));
  }
};

inline ApplyOptions Unverified() {
  ApplyOptions o;
  o.ref = kBranch;
  return o;
}

}  // namespace larch::delta::testing
