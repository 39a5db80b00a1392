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
// Layout: u32 n | n x (u32 diff_len, u32 extra_len, u64 seek) | diff bytes |
// extra bytes. `seek` is a two's-complement i64 added to the base position
// after each run.
#pragma once

#include <cstddef>

#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::delta {

// kUnsupported when the suffix sorter is unavailable.
Result<Bytes> BsdiffCreate(ByteSpan base, ByteSpan target);
// Strict: every run must stay inside the base and the output, the streams
// must add up to exactly the patch's length and to target_size bytes.
Result<Bytes> BsdiffApply(ByteSpan base, ByteSpan patch, size_t target_size);

}  // namespace larch::delta
