// File: repo/delta/read_ahead_source_test.cc
// The read-ahead thread hands on exactly the stream, in order, whatever the
// reader's sizes; an error arrives after the bytes before it; a reader that
// stops early does not wait for the rest.
#include "repo/delta/read_ahead_source.h"

#include <atomic>
#include <chrono>

#include <gtest/gtest.h>

namespace larch::delta {
namespace {

Bytes Pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>((i * 131) ^ (i >> 9));
  return b;
}

// Hands out `data` in pieces of at most `piece`, then fails with `error`
// if one is given; counts what it was asked for.
class Pieces : public ByteSource {
 public:
  Pieces(ByteSpan data, size_t piece, Status error = Status::Ok())
      : data_(data), piece_(piece), error_(std::move(error)) {}
  Result<size_t> Read(MutableByteSpan buf) override {
    ++reads;
    if (pos_ == data_.size()) {
      if (!error_.ok()) return error_;
      return size_t{0};
    }
    size_t n = std::min({buf.size(), piece_, data_.size() - pos_});
    std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(pos_), n, buf.begin());
    pos_ += n;
    return n;
  }
  std::atomic<size_t> reads{0};

 private:
  ByteSpan data_;
  size_t piece_, pos_ = 0;
  Status error_;
};

Result<Bytes> ReadInSteps(ByteSource& src, size_t step) {
  Bytes out, buf(step);
  for (;;) {
    LARCH_ASSIGN_OR_RETURN(size_t n, src.Read(buf));
    if (n == 0) return out;
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

TEST(ReadAheadSourceTest, HandsOnTheWholeStreamInOrder) {
  const Bytes data = Pattern(5 * ReadAheadSource::kChunk + 12345);
  for (size_t piece : {size_t{1000}, size_t{1} << 20}) {
    for (size_t step : {size_t{1}, size_t{4096}, size_t{3} << 20}) {
      if (step == 1 && piece == 1000) continue;  // slow, and covered by the others
      ReadAheadSource src(std::make_unique<Pieces>(data, piece));
      auto got = ReadInSteps(src, step);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(*got, data) << "piece " << piece << " step " << step;
      uint8_t more;
      EXPECT_EQ(*src.Read(MutableByteSpan(&more, 1)), 0u);  // the end stays the end
    }
  }
}

TEST(ReadAheadSourceTest, AnEmptyStreamEndsAtOnce) {
  ReadAheadSource src(std::make_unique<Pieces>(ByteSpan(), 10));
  uint8_t b;
  EXPECT_EQ(*src.Read(MutableByteSpan(&b, 1)), 0u);
}

TEST(ReadAheadSourceTest, AnErrorArrivesAfterTheBytesBeforeIt) {
  const Bytes data = Pattern(ReadAheadSource::kChunk * 2 + 100);
  ReadAheadSource src(std::make_unique<Pieces>(data, 7000, Status::Corruption("xz: corrupt data")));
  Bytes got(data.size());
  size_t done = 0;
  Status error;
  while (error.ok()) {
    auto n = src.Read(MutableByteSpan(got.data() + done, std::min<size_t>(9999, got.size() - done + 1)));
    if (!n.ok()) {
      error = n.status();
      break;
    }
    ASSERT_NE(*n, 0u) << "the stream ended without its error";
    done += *n;
  }
  EXPECT_EQ(done, data.size());
  EXPECT_EQ(got, data);
  EXPECT_TRUE(error.IsCorruption());
  EXPECT_NE(error.message().find("corrupt data"), std::string::npos);
}

// The reader takes one byte and goes: the thread, blocked on a full queue,
// must stop instead of decoding the rest.
TEST(ReadAheadSourceTest, AReaderThatStopsEarlyDoesNotWaitForTheRest) {
  const Bytes data = Pattern(64 * ReadAheadSource::kChunk);
  auto inner = std::make_unique<Pieces>(data, 4096);
  Pieces* counter = inner.get();
  {
    ReadAheadSource src(std::move(inner));
    uint8_t b;
    ASSERT_EQ(*src.Read(MutableByteSpan(&b, 1)), 1u);
    EXPECT_EQ(b, data[0]);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    // At most the queue and the chunk being filled, never the whole stream.
    EXPECT_LE(counter->reads.load() * 4096, (ReadAheadSource::kChunks + 2) * ReadAheadSource::kChunk);
  }
}

}  // namespace
}  // namespace larch::delta
