// File: repo/delta/limits.h
//
// Bounds shared by the delta and bundle codecs, generator and applier. Every
// size a superblock or part declares is checked against these before any
// memory is reserved for it, and the applier's peak memory follows from
// them: one part's zstd window (kPartWindowLog) or xz dictionary
// (kMaxXzDict) plus, for a patch, its base, its target and the patch itself
// (each at most kMaxPatchInput or kMaxPatchSize), whatever the size of the
// files in the tree.
#pragma once

#include <cstddef>
#include <cstdint>

namespace larch::delta {

// The superblock file (signed envelope) as a whole.
inline constexpr size_t kMaxSuperblockSize = 64u << 20;
inline constexpr uint32_t kMaxParts = 1u << 16;
inline constexpr uint32_t kMaxDeltaObjects = 1u << 21;
// A commit object is at most subject + body + 256 metadata values of 64 KiB.
inline constexpr size_t kMaxCommitBytes = 20u << 20;
inline constexpr size_t kMaxCommitMetaBytes = 8u << 10;
// One part, compressed or not. Parts aim at kPartTarget uncompressed bytes;
// only a single large new file makes one bigger, and it is streamed.
inline constexpr uint64_t kMaxPartBytes = 1ull << 36;
inline constexpr uint64_t kPartTarget = 16u << 20;
// Parts are zstd frames with at most this window: the decoder's memory.
inline constexpr int kPartWindowLog = 24;
// ... or xz streams whose LZMA2 dictionary is at most this: the decoder's
// memory limit, refused beyond (part_xz.h).
inline constexpr uint32_t kMaxXzDict = 32u << 20;
// Files are patched only when base and target are at most this big; larger
// ones travel whole (streamed), so apply never holds a big file in memory.
inline constexpr uint64_t kMaxPatchInput = 8u << 20;
inline constexpr uint32_t kMaxPatchSize = (kMaxPatchInput * 2) + (1u << 20);
// A dirtree or dirmeta sent whole (the store's own cap on metadata).
inline constexpr uint32_t kMaxMetaObject = 64u << 20;

}  // namespace larch::delta
