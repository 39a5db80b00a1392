// File: repo/delta/zlib_loader.h
//
// Raw deflate and inflate through the system zlib (libz.so.1, on every
// Debian system), loaded with dlopen until larch_delta's CMake target links
// ZLIB itself (the build files belong to another change). Every call is
// bounded: inflate refuses output beyond `max_output`.
#pragma once

#include <cstdint>

#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::delta {

// kUnsupported when zlib cannot be loaded.
Result<Bytes> RawDeflate(ByteSpan data, int level, int mem_level);
// Exactly one raw deflate stream that ends at the end of `data`.
Result<Bytes> RawInflate(ByteSpan data, size_t max_output);
Result<uint32_t> Crc32(ByteSpan data);

}  // namespace larch::delta
