// File: repo/delta/gzip_patch.h
//
// The gzip-aware engine. A changed .gz file (man pages, changelogs) shares
// almost nothing with its old version byte for byte: one changed line
// reshuffles every deflate block after it. Its *decompressed* content
// differs in a few lines. So the patch is a zstd patch-from of the
// decompressed target against the decompressed base, plus the recipe that
// recompresses it to the exact same bytes (gzip_recipe.h: the gzip header
// and the encoder, zlib or GNU gzip, with its parameters). The generator
// offers this engine only when the recipe reproduces the target bit for
// bit; the applier's hash check is the final word.
//
// Patch layout (docs/formats.md, "patch-gzip"), two forms:
//   zlib:     header (10) | u8 level (1..9) | u8 memLevel (1..9) |
//             u32 decompressed size | zstd patch-from frame
//   GNU gzip: header (10) | u8 0 | u8 mode (2) | u8 level | u8 memLevel (0) |
//             u32 decompressed size | zstd patch-from frame
// The zlib form is the layout from before GNU gzip support, so such
// patches stay readable by older appliers; those refuse the other form
// ("bad zlib parameters"). A zlib recipe in the long form is refused (one
// encoding per patch).
#pragma once

#include <cstddef>

#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::delta {

// kUnsupported when base or target is not a plain gzip member, or when no
// recipe reproduces the target exactly (GNU gzip's only if `gnu_allowed`).
Result<Bytes> GzipPatchCreate(ByteSpan base, ByteSpan target, bool gnu_allowed);
Result<Bytes> GzipPatchApply(ByteSpan base, ByteSpan patch, size_t target_size);

}  // namespace larch::delta
