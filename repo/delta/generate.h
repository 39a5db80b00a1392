// File: repo/delta/generate.h
//
// Generating a delta from one commit (or from nothing) to another, in a
// store that has both. For each object of the target that the source
// commit lacks:
//   - dirtrees and dirmetas travel whole;
//   - a file with a base (base_selection.h) is encoded by every engine and
//     the smallest expected encoding wins, unless sending it whole is
//     expected to be smaller still;
//   - other files travel whole.
// Objects the source commit has under another path are listed as reuse.
// Operations are grouped by kind (so similar patches sit together) and
// content (machine code apart), packed into parts of about kPartTarget
// bytes, and each part is compressed as a whole with zstd or xz, whichever
// is smaller (part_compression.h). The superblock is then signed through a
// caller-supplied signer.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "repo/delta/superblock.h"
#include "repo/objects/commitmeta.h"
#include "repo/objects/signed_envelope.h"
#include "repo/store.h"
#include "src/base/progress.h"

namespace larch::delta {

// Signs SHA-256(superblock body); returns the signatures (any order).
using EnvelopeSigner =
    std::function<Result<std::vector<repo::CommitSignature>>(const crypto::Sha256Digest&)>;

struct GenerateOptions {
  std::optional<repo::ObjectId> from;  // nullopt: full delta
  repo::ObjectId to;
  EnvelopeSigner sign;  // null: unsigned
  unsigned threads = 0;  // 0: every core
  uint64_t part_target = 0;  // 0: kPartTarget
  int part_level = 0;        // 0: kPartLevel
  // Phase "delta": bytes of the target's new files encoded (the sizes in
  // its dirtrees); then phase "compress": bytes of the parts compressed.
  ProgressFn progress = nullptr;
  // Each part as the smaller of zstd and xz. false: zstd only (a version 1
  // superblock), for devices running a Larch that predates xz parts.
  bool xz_parts = true;
  // What beyond the oldest appliers' engines may be used: gzip members
  // rebuilt by GNU gzip's deflate (patch-gzip's long form), the new-gzip
  // operation and ELF patches (both a version 3 superblock). false: only
  // what older appliers know (--zstd-only).
  bool gzip_recipes = true;
  bool elf_patches = true;
};

struct GenerateStats {
  std::array<uint64_t, kNumOpKinds + 1> count{};        // by OpKind value
  std::array<uint64_t, kNumOpKinds + 1> payload_bytes{};  // uncompressed bytes in parts
  uint64_t target_bytes = 0;  // content size of the files the delta produces
  uint64_t parts = 0;
  uint64_t parts_bytes = 0;   // compressed
  uint64_t superblock_bytes = 0;
};

struct GeneratedDelta {
  DeltaSuperblock superblock;
  Bytes superblock_file;        // the signed envelope
  std::vector<Bytes> parts;     // compressed, in order
  GenerateStats stats;
};

// The superblock file: a signed envelope of `kind` (kDeltaSuperblock for a
// store's deltas/, kBundle inside a bundle) over EncodeSuperblock(sb).
Result<Bytes> SignSuperblock(const DeltaSuperblock& sb, repo::SignedKind kind,
                             const EnvelopeSigner& sign);

// In memory; nothing is written.
Result<GeneratedDelta> BuildDelta(const repo::Store& store, const GenerateOptions& options);

// Writes deltas/<name>/{superblock,0,1,...} into the store: staged in tmp/,
// synced, then renamed into place (replacing an older delta of that name),
// so a mirror of the store never sees half a delta.
Result<GeneratedDelta> GenerateDelta(repo::Store& store, const GenerateOptions& options);

// Writes a built delta into directory dirfd/name (which must not exist).
Status WriteDeltaDir(fs::Fs& fs, int dirfd, const std::string& name, const GeneratedDelta& delta);

}  // namespace larch::delta
