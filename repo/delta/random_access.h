// File: repo/delta/random_access.h
//
// RandomAccess: bytes read at positions a patch names, from memory or from
// a file with positioned reads (pread), so a big patch base is never held
// in memory, only the stretches each run needs.
#pragma once

#include <cstdint>

#include "src/base/bytes.h"
#include "src/base/result.h"
#include "src/fs/fs.h"

namespace larch::delta {

class RandomAccess {
 public:
  virtual ~RandomAccess() = default;
  virtual uint64_t size() const = 0;
  // Fills `buf` from `offset`; kCorruption if the data ends first.
  virtual Status ReadAt(uint64_t offset, MutableByteSpan buf) = 0;
};

class SpanRandomAccess : public RandomAccess {
 public:
  explicit SpanRandomAccess(ByteSpan data) : data_(data) {}
  uint64_t size() const override { return data_.size(); }
  Status ReadAt(uint64_t offset, MutableByteSpan buf) override;

 private:
  ByteSpan data_;
};

// An open file of a known size, read through an Fs.
class FdRandomAccess : public RandomAccess {
 public:
  FdRandomAccess(fs::Fs& fs, int fd, uint64_t size) : fs_(fs), fd_(fd), size_(size) {}
  uint64_t size() const override { return size_; }
  Status ReadAt(uint64_t offset, MutableByteSpan buf) override;

 private:
  fs::Fs& fs_;
  int fd_;
  uint64_t size_;
};

}  // namespace larch::delta
