// File: repo/delta/zlib_raw.h
//
// Raw deflate and inflate through the system zlib (for the gzip-aware
// engine). Every call is bounded: inflate refuses output beyond
// `max_output`.
#pragma once

#include <cstdint>
#include <memory>

#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::delta {

Result<Bytes> RawDeflate(ByteSpan data, int level, int mem_level);
// Exactly one raw deflate stream that ends at the end of `data`.
Result<Bytes> RawInflate(ByteSpan data, size_t max_output);
Result<uint32_t> Crc32(ByteSpan data);
// CRC-32 continued over `data` (start from 0).
uint32_t Crc32Update(uint32_t crc, ByteSpan data);

// Raw deflate as a stream: input in chunks, output appended as produced.
class RawDeflater {
 public:
  static Result<std::unique_ptr<RawDeflater>> Create(int level, int mem_level);
  ~RawDeflater();
  RawDeflater(const RawDeflater&) = delete;
  RawDeflater& operator=(const RawDeflater&) = delete;

  Status Write(ByteSpan in, Bytes* out);
  Status Finish(Bytes* out);

 private:
  struct Stream;
  explicit RawDeflater(std::unique_ptr<Stream> s);
  Status Run(ByteSpan in, int flush, Bytes* out);
  std::unique_ptr<Stream> s_;
};

}  // namespace larch::delta
