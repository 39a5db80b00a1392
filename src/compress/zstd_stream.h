// File: src/compress/zstd_stream.h
// zstd compression and decompression, one-shot and streaming. The streaming
// decompressor enforces an output limit so a malicious or broken input can
// never make us write more than the size its signed metadata promised.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::compress {

class ZstdDictionary;

// Receives decompressed or compressed output in chunks.
using Sink = std::function<Status(ByteSpan)>;

// One zstd frame holding `data`. `threads` > 1 uses zstd's worker threads
// (only worth it for inputs over a few MiB).
// With `dict`, the frame references the dictionary (its level wins).
Result<Bytes> ZstdCompress(ByteSpan data, int level, int threads = 1,
                           const ZstdDictionary* dict = nullptr);

// What compressing `size` bytes at `level` allocates (zstd's own estimate
// of its context), so an applier can count it against its memory budget.
uint64_t ZstdCompressMemory(int level, uint64_t size);

// Decompresses a whole buffer of one or more frames. Fails with kCorruption
// on malformed input and when the output would exceed `max_output`.
Result<Bytes> ZstdDecompress(ByteSpan data, uint64_t max_output);

// Streaming compression: Write() any number of times, then Finish().
class ZstdCompressStream {
 public:
  static Result<std::unique_ptr<ZstdCompressStream>> Create(int level, int threads, Sink sink,
                                                            const ZstdDictionary* dict = nullptr);
  ~ZstdCompressStream();
  Status Write(ByteSpan data);
  Status Finish();

 private:
  ZstdCompressStream() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Streaming decompression with an output limit. Finish() fails with
// kCorruption if the input ended in the middle of a frame.
class ZstdDecompressStream {
 public:
  // `dict` must be the dictionary the frames reference (if any); it must
  // outlive the stream.
  static Result<std::unique_ptr<ZstdDecompressStream>> Create(uint64_t max_output, Sink sink,
                                                              const ZstdDictionary* dict = nullptr);
  ~ZstdDecompressStream();
  Status Write(ByteSpan compressed);
  Status Finish();
  uint64_t output_bytes() const;

 private:
  ZstdDecompressStream() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace larch::compress
