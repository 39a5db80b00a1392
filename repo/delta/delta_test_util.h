// File: repo/delta/delta_test_util.h
// Test-only helpers for the delta tests: a publisher store holding two
// versions of a small tree, and device stores holding the first.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

#include "repo/delta/apply.h"
#include "repo/delta/generate.h"
#include "repo/delta/part.h"
#include "repo/delta/part_compression.h"
#include "repo/delta/part_zstd.h"
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

// A file over kMaxPatchInput (patched as a stream) whose v2 is v1 rebuilt:
// every "symbol" changed, 1000 bytes inserted, a 64 KiB stretch rewritten.
inline constexpr size_t kBigSize = (10u << 20) + 12345;
inline std::string BigBinary(int version) {
  std::string s = Binary(version, kBigSize);
  if (version >= 2) {
    s.insert(3u << 20, std::string(1000, 'i') + "inserted in v2");
    for (size_t i = 6u << 20; i < (6u << 20) + 65536; ++i) s[i] = static_cast<char>(s[i] * 7 + 1);
  }
  return s;
}

// Big files: one that changes, and one that stays (a wrong base of the
// right size for the tests).
inline void AddBigFiles(const std::string& root, int v) {
  WriteTestFile(root + "/usr/lib/libbig.so.1", BigBinary(v));
  WriteTestFile(root + "/usr/lib/big-data", Binary(5, kBigSize));
}

inline CommitOptions VersionOptions(int v) {
  CommitOptions o = TestCommitOptions(kBranch);
  o.metadata = {{"version", std::to_string(v)},
                {"ref-binding", kBranch},
                {"compatible", "board-a board-b"}};
  return o;
}

// What a publisher whose devices predate verity lists commits with
// (`commit --no-verity-list`): the superblock version then depends on the
// parts and ops alone.
inline CommitOptions OlderDeviceOptions(int v) {
  CommitOptions o = VersionOptions(v);
  o.verity_list = false;
  return o;
}

struct Publisher {
  TempDir dir;
  std::unique_ptr<Store> store;
  ObjectId v1, v2;
  std::string tree1 = dir.Sub("v1"), tree2 = dir.Sub("v2");

  // `add`: writes further files of version v (1 or 2) below a root.
  explicit Publisher(StoreMode mode = StoreMode::kArchive, bool big = false,
                     const std::function<void(const std::string&, int)>& add = nullptr) {
    MakeVersion(tree1, 1);
    MakeVersion(tree2, 2);
    if (big) {
      AddBigFiles(tree1, 1);
      AddBigFiles(tree2, 2);
    }
    if (add) {
      add(tree1, 1);
      add(tree2, 2);
    }
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

// Writes `d` to <dir>/<name> and returns a source reading it.
inline std::unique_ptr<DirectorySource> Publish(const TempDir& dir, const std::string& name,
                                         const GeneratedDelta& d) {
  UniqueFd root(::open(dir.path().c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  Must(WriteDeltaDir(*fs::DefaultFs(), root.get(), name, d));
  return Must(DirectorySource::Open(*fs::DefaultFs(), root.get(), name));
}

// After editing parts or part entries: sizes and hashes from the parts.
inline void Reseal(GeneratedDelta& d, bool keep_sizes = false) {
  for (size_t i = 0; i < d.parts.size(); ++i) {
    if (!keep_sizes) d.superblock.parts[i].compressed_size = d.parts[i].size();
    d.superblock.parts[i].sha256 = crypto::Sha256::Hash(d.parts[i]);
  }
  d.superblock_file = Must(SignSuperblock(d.superblock, repo::SignedKind::kDeltaSuperblock, nullptr));
}

// Decodes every part, lets `edit` change its operations (and the matching
// superblock entries), re-encodes and reseals.
template <typename Edit>
void EditOps(GeneratedDelta& d, Edit edit) {
  for (size_t i = 0; i < d.parts.size(); ++i) {
    PartInfo& info = d.superblock.parts[i];
    SpanSource compressed(d.parts[i]);
    auto raw = Must(OpenPart(compressed, info));
    std::vector<PartOp> ops = Must(DecodePart(Must(ReadAll(*raw))));
    edit(ops, info.objects);
    Bytes edited = EncodePart(ops);
    info.uncompressed_size = edited.size();
    info.compression = PartCompression::kZstd;
    d.parts[i] = Must(CompressPartZstd(edited, 3));
  }
  Reseal(d);
}

inline ApplyOptions Unverified(unsigned threads = ApplyOptions{}.threads) {
  ApplyOptions o;
  o.ref = kBranch;
  o.threads = threads;
  return o;
}

// Lets `edit` change the operation of `d` producing `key`, which must be
// of `kind`.
template <typename Edit>
void EditObjectOp(GeneratedDelta& d, const ObjectKey& key, OpKind kind, Edit edit) {
  bool found = false;
  EditOps(d, [&](std::vector<PartOp>& ops, std::vector<PartObject>&) {
    for (PartOp& op : ops) {
      if (op.head.key != key) continue;
      ASSERT_EQ(op.head.kind, kind);
      edit(op);
      found = true;
    }
  });
  ASSERT_TRUE(found);
}

// Applying `d` (published as <pub dir>/bad-<name>) to `device`, which holds
// v1, fails with kCorruption mentioning `needle` and changes nothing.
inline void ExpectApplyRefused(const Publisher& pub, Store& device, const std::string& name,
                               const GeneratedDelta& d, const std::string& needle,
                               unsigned threads = ApplyOptions{}.threads) {
  auto before = SnapshotTree(device.path());
  auto source = Publish(pub.dir, "bad-" + name, d);
  EXPECT_TRUE(FailsWith(ApplyDelta(device, *source, Unverified(threads)), StatusCode::kCorruption, needle));
  EXPECT_EQ(SnapshotTree(device.path()), before);
  EXPECT_EQ(*Must(ReadRef(device, kBranch)), pub.v1);
}

}  // namespace larch::delta::testing
