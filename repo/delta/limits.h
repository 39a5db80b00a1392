// File: repo/delta/limits.h
//
// Bounds shared by the delta and bundle codecs, generator and applier. Every
// size a superblock or part declares is checked against these before any
// memory is reserved for it, and the applier's peak memory follows from
// them: one part's zstd window (kPartWindowLog) or xz dictionary
// (kMaxXzDict) plus, for a patch held in memory, its base, its target and
// the patch itself (each at most kMaxPatchInput or kMaxPatchSize); larger
// files are patched by the bsdiff engine as a stream, one block
// (kMaxBsdiffBlock) at a time, whatever the size of the files in the tree.
#pragma once

#include <cstddef>
#include <cstdint>

#include "repo/objects/limits.h"

namespace larch::delta {

// The superblock file (signed envelope) as a whole.
inline constexpr size_t kMaxSuperblockSize = 64u << 20;
inline constexpr uint32_t kMaxParts = 1u << 16;
inline constexpr uint32_t kMaxDeltaObjects = 1u << 21;
// A commit object is at most subject + body + 256 metadata values of 64 KiB.
inline constexpr size_t kMaxCommitBytes = 20u << 20;
inline constexpr size_t kMaxCommitMetaBytes = repo::kMaxCommitMetaSize;
// One part, compressed or not. Parts aim at kPartTarget uncompressed bytes;
// only a single large new file makes one bigger, and it is streamed.
inline constexpr uint64_t kMaxPartBytes = 1ull << 36;
inline constexpr uint64_t kPartTarget = 16u << 20;
// Parts are zstd frames with at most this window: the decoder's memory.
inline constexpr int kPartWindowLog = 24;
// ... or xz streams whose LZMA2 dictionary is at most this: the decoder's
// memory limit, refused beyond (part_xz.h).
inline constexpr uint32_t kMaxXzDict = 32u << 20;
// The generator's dictionary for a part holding a patch the applier streams
// (a file over kMaxPatchInput): the applier holds a patch block
// (kMaxBsdiffBlock) and a read-ahead beside the decoder then. Costs 0.17%
// on the 110 MB part of libxul.so's patch (thunderbird 140 -> 153).
inline constexpr uint32_t kStreamedPatchXzDict = 16u << 20;
// The engines that need whole inputs (zstd patch-from, whose window must
// cover base and target; gzip) take base and target of at most this size
// each, and the applier holds such a patch in memory.
inline constexpr uint64_t kMaxPatchInput = 8u << 20;
inline constexpr uint32_t kMaxPatchSize = (kMaxPatchInput * 2) + (1u << 20);
// The bsdiff engine patches files of any size up to these: its suffix
// array has 32-bit indexes, and its patch is a u32-length blob. The applier
// streams such a patch: the base is read with positioned reads, the patch
// block by block from the part, the target written and hashed as produced.
inline constexpr uint64_t kMaxBsdiffBase = (1ull << 31) - 1;
inline constexpr uint64_t kMaxBsdiffPatch = UINT32_MAX;
// A bsdiff block produces at most this many bytes (the applier's buffer;
// equal to kMaxPatchInput so a patch of a small file is a single block,
// the layout of deltas made before blocks existed) from at most this many
// controls (16 bytes each in memory).
inline constexpr uint64_t kMaxBsdiffBlock = kMaxPatchInput;
inline constexpr uint32_t kMaxBsdiffBlockControls = 1u << 18;
// The applier reads a block's base bytes in spans of at most this many
// bytes (runs close together in the base joined into one read).
inline constexpr uint64_t kMaxBsdiffSpan = 1u << 20;
// A dirtree or dirmeta sent whole: the store's own cap on metadata.
inline constexpr uint32_t kMaxMetaObject = repo::kMaxMetadataObjectSize;

}  // namespace larch::delta
