// File: repo/delta/byte_source.h
//
// ByteSource: a pull-style stream of bytes. The part decoder pulls exactly
// what the next field needs, so a part is parsed while it is decompressed
// and memory stays bounded by the largest single payload it must hold, not
// by the part's size.
#pragma once

#include <cstdint>

#include "src/base/bytes.h"
#include "src/base/result.h"
#include "src/fs/fs.h"

namespace larch::delta {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to buf.size() bytes; 0 only at the end of the stream.
  virtual Result<size_t> Read(MutableByteSpan buf) = 0;
};

// Reads from memory (tests, fuzzers).
class SpanSource : public ByteSource {
 public:
  explicit SpanSource(ByteSpan data) : data_(data) {}
  Result<size_t> Read(MutableByteSpan buf) override;

 private:
  ByteSpan data_;
  size_t pos_ = 0;
};

// Reads an open file descriptor through an Fs, at most `limit` bytes.
class FdSource : public ByteSource {
 public:
  FdSource(fs::Fs& fs, int fd, uint64_t limit) : fs_(fs), fd_(fd), left_(limit) {}
  Result<size_t> Read(MutableByteSpan buf) override;

 private:
  fs::Fs& fs_;
  int fd_;
  uint64_t left_;
};

// Fills `buf` completely; false when the stream ended first (`got` says
// how much arrived).
Result<bool> ReadFull(ByteSource& src, MutableByteSpan buf, size_t* got = nullptr);

// Everything up to the end of the stream, in memory (tests, fuzzers: the
// applier never holds a whole part).
Result<Bytes> ReadAll(ByteSource& src);

}  // namespace larch::delta
