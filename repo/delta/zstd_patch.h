// File: repo/delta/zstd_patch.h
//
// The zstd "patch-from" engine: the target compressed as one zstd frame
// that references the base as a raw prefix (what `zstd --patch-from` does),
// at level 19 with long-distance matching, so every stretch the two files
// share costs a few bytes of match. Its output is already entropy-coded;
// the part's own compression adds little to it.
#pragma once

#include <cstddef>

#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::delta {

inline constexpr int kZstdPatchLevel = 19;

Result<Bytes> ZstdPatchCreate(ByteSpan base, ByteSpan target, int level = kZstdPatchLevel);
// Exactly one zstd frame declaring target_size bytes, nothing after it;
// anything else is kCorruption. Output is exactly target_size bytes.
Result<Bytes> ZstdPatchApply(ByteSpan base, ByteSpan patch, size_t target_size);

}  // namespace larch::delta
