// File: repo/delta/zlib_raw.h
//
// Raw deflate and inflate through the system zlib (for the gzip-aware
// engine). Every call is bounded: inflate refuses output beyond
// `max_output`.
#pragma once

#include <cstdint>

#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::delta {

Result<Bytes> RawDeflate(ByteSpan data, int level, int mem_level);
// Exactly one raw deflate stream that ends at the end of `data`.
Result<Bytes> RawInflate(ByteSpan data, size_t max_output);
Result<uint32_t> Crc32(ByteSpan data);

}  // namespace larch::delta
