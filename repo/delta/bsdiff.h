// File: repo/delta/bsdiff.h
//
// A bsdiff-class engine (Colin Percival's algorithm, as in bsdiff 4): the
// target is a sequence of (diff, extra) runs. A diff run adds bytes to an
// approximately matching stretch of the base, so code whose addresses moved
// becomes mostly zero bytes; an extra run is literal. The patch is stored
// uncompressed, its three streams apart (controls, diff bytes, extra
// bytes), because the part is compressed as a whole: zero-heavy diff
// streams of many files then share one zstd window. Debian has no bsdiff
// library (the bsdiff package is two programs), so the control/diff/extra
// logic is here; the suffix sort is libdivsufsort's.
//
// Layout: one or more blocks, back to back, each
//   u32 n | n x (u32 diff_len, u32 extra_len, u64 seek) | diff bytes | extra bytes
// or, with kSparseDiffFlag set in n (the count is the rest of the word),
//   ... controls | u32 size | the diff bytes in sparse form | extra bytes
// (sparse_diff.h), written when that is smaller than the diff bytes: the
// device then never decompresses the zeros of unchanged stretches.
// producing at most kMaxBsdiffBlock target bytes. `seek` is a
// two's-complement i64 added to the base position after each run. A file
// of at most kMaxBsdiffBlock bytes is one block: the layout of patches made
// before blocks existed. Blocks let the applier stream a patch of any size
// in bounded memory: it holds one block's controls and output, reads the
// base at the positions the runs name, and hands the target on in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "repo/delta/byte_source.h"
#include "repo/delta/random_access.h"
#include "src/base/bytes.h"
#include "src/base/result.h"
#include "src/compress/zstd_stream.h"

namespace larch::delta {

inline constexpr uint32_t kSparseDiffFlag = 0x80000000u;

// Where the writer may use sparse blocks (each only when it is smaller).
enum class DiffForm {
  // In patches of more than one block, which no applier before blocks
  // reads anyway; a one-block patch (a file of at most kMaxBsdiffBlock)
  // keeps the layout earlier releases apply.
  kCompatible,
  // In every block: the ELF engine's inner patch, an engine earlier
  // releases do not know.
  kSparse,
};

// A target above two of these is matched in pieces of this size, on every
// core (the pieces' seams cost a few bytes each).
inline constexpr size_t kBsdiffScanPiece = 16u << 20;

// kUnsupported when the suffix sorter is unavailable or the inputs exceed
// kMaxBsdiffBase / kMaxBsdiffPatch. `scan_piece`: tests make it small.
Result<Bytes> BsdiffCreate(ByteSpan base, ByteSpan target, DiffForm form = DiffForm::kCompatible,
                           size_t scan_piece = kBsdiffScanPiece);

// Strict: every run must stay inside the base, every block produce at
// least one byte and at most kMaxBsdiffBlock from at most `max_controls`
// controls, the runs add up to exactly target_size. Reads from `patch`
// exactly the blocks that make target_size bytes (the caller checks that
// nothing follows) and hands the target to `out` in order, a block at a time.
Status BsdiffApplyStream(RandomAccess& base, ByteSource& patch, uint64_t target_size,
                         const compress::Sink& out, uint32_t max_controls);
// The same over whole buffers; the patch must end with its last block.
Result<Bytes> BsdiffApply(ByteSpan base, ByteSpan patch, size_t target_size);

// Where a patch aligns the target with the base: each diff run (an
// approximate match), in target order. For the ELF engine's address map.
struct BsdiffMatch {
  uint64_t base_offset = 0, target_offset = 0, length = 0;
};
Result<std::vector<BsdiffMatch>> BsdiffMatches(ByteSpan patch);

}  // namespace larch::delta
