// File: repo/delta/gzip_patch.h
//
// The gzip-aware engine. A changed .gz file (man pages, changelogs) shares
// almost nothing with its old version byte for byte: one changed line
// reshuffles every deflate block after it. Its *decompressed* content
// differs in a few lines. So the patch is a zstd patch-from of the
// decompressed target against the decompressed base, plus what it takes to
// recompress it to the exact same bytes: the gzip header and the zlib
// parameters that reproduce the deflate stream. The generator offers this
// engine only when recompressing reproduces the target bit for bit (zlib at
// those parameters; GNU gzip's own deflate differs on larger files, which
// then use another engine); the applier's hash check is the final word.
//
// Patch layout: raw gzip header (10 bytes, no optional fields) | u8 level |
// u8 memLevel | u32 decompressed size | zstd patch-from frame.
#pragma once

#include <cstddef>

#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::delta {

// kUnsupported when base or target is not a plain gzip member, or when no
// zlib parameters reproduce the target exactly.
Result<Bytes> GzipPatchCreate(ByteSpan base, ByteSpan target);
Result<Bytes> GzipPatchApply(ByteSpan base, ByteSpan patch, size_t target_size);

}  // namespace larch::delta
