// File: repo/delta/read_ahead_source.h
//
// ReadAheadSource: runs a ByteSource (a part's decompressor) on a thread of
// its own, a few chunks ahead of the reader. Applying a big patch is one
// thread's work (base reads, patching, writing and hashing the target) and
// decompressing its part another's: taken in turn they cost the sum of
// both, side by side about the larger. Memory: kChunks + 2 chunks.
// Errors reach the reader where they happened in the stream, after every
// byte decoded before them.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "repo/delta/byte_source.h"

namespace larch::delta {

class ReadAheadSource : public ByteSource {
 public:
  static constexpr size_t kChunk = 512u << 10;
  static constexpr size_t kChunks = 4;

  explicit ReadAheadSource(std::unique_ptr<ByteSource> inner);
  ~ReadAheadSource() override;  // stops the thread (a reader may stop early)
  ReadAheadSource(const ReadAheadSource&) = delete;
  ReadAheadSource& operator=(const ReadAheadSource&) = delete;

  Result<size_t> Read(MutableByteSpan buf) override;

 private:
  void Run();

  std::unique_ptr<ByteSource> inner_;  // used by the thread only
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Bytes> full_;   // decoded chunks, in order
  std::vector<Bytes> spare_;  // buffers the reader is done with
  bool ended_ = false;       // the thread has queued its last chunk
  Status error_;             // why it ended early, if it did
  bool stop_ = false;
  Bytes current_;  // the reader's chunk
  size_t pos_ = 0;
  std::thread thread_;
};

}  // namespace larch::delta
