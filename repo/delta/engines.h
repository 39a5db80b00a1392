// File: repo/delta/engines.h
//
// The diff engines behind one call each way, so the generator can try them
// all and the applier dispatch on the op byte.
#pragma once

#include <optional>

#include "repo/delta/gzip_recipe.h"
#include "repo/delta/superblock.h"
#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::delta {

// One candidate encoding of a target against a base, with what it is
// expected to cost on the wire once the part is compressed.
struct PatchCandidate {
  OpKind engine;
  Bytes patch;
  uint64_t wire_estimate;
};

// Every engine's patch; the smallest estimate first. Engines that are not
// available (kUnsupported) are left out; other errors are returned. Above
// kMaxPatchInput (base or target) only bsdiff and the ELF engine are tried:
// the other engines need the whole base and target in the applier's memory.
// `features`: what beyond the oldest appliers' engines may be used.
struct PatchFeatures {
  // The gzip engine may rebuild with GNU gzip's deflate (patch-gzip's long
  // form, which appliers from before it refuse).
  bool gnu_gzip = true;
  // The ELF engine (patch-elf: a version 3 superblock).
  bool elf = true;
};
Result<std::vector<PatchCandidate>> MakePatches(ByteSpan base, ByteSpan target, PatchFeatures features = {});
// What a target sent whole is expected to cost (zstd at the part's level).
Result<uint64_t> NewObjectEstimate(ByteSpan target);

// A gzip member sent as its decompressed content and the recipe that
// rebuilds it exactly (new-gzip): the part's compressor sees the text.
struct GzipCandidate {
  GzipRecipe recipe;
  Bytes content;
  uint64_t wire_estimate;
};
// nullopt unless `target` is a plain gzip member some recipe rebuilds
// (checked here) with content of at most kMaxNewGzipContent bytes.
Result<std::optional<GzipCandidate>> MakeNewGzip(ByteSpan target);
inline constexpr uint64_t kMaxNewGzipContent = 256u << 20;

Result<Bytes> ApplyPatch(OpKind engine, ByteSpan base, ByteSpan patch, size_t target_size);

// The level and window parts are compressed with.
inline constexpr int kPartLevel = 19;
// The level wire estimates of inputs above kMaxPatchInput are made at.
inline constexpr int kBigEstimateLevel = 9;

}  // namespace larch::delta
