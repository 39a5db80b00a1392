// File: src/compress/zstd_stream_test.cc
#include "src/compress/zstd_stream.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace larch::compress {
namespace {

// Compressible but not trivial: random words from a small vocabulary.
Bytes SampleData(size_t size, uint32_t seed = 1) {
  static const char* const kWords[] = {"larch ", "tree ", "commit ", "object ", "\x01\x02 ",
                                       "zstd ",  "sha ",  "root ",   "boot ",   "\n"};
  std::mt19937 rng(seed);
  Bytes out;
  out.reserve(size + 16);
  while (out.size() < size) {
    const std::string word = kWords[rng() % 10];
    out.insert(out.end(), word.begin(), word.end());
    if (rng() % 7 == 0) out.push_back(static_cast<uint8_t>(rng()));
  }
  out.resize(size);
  return out;
}

Sink AppendTo(Bytes& out) {
  return [&out](ByteSpan chunk) {
    out.insert(out.end(), chunk.begin(), chunk.end());
    return Status::Ok();
  };
}

// Result<T>::operator* on a temporary yields a const ref; move the value out.
template <typename T>
T Take(Result<T> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

Bytes Concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

TEST(ZstdTest, OneShotRoundTrip) {
  for (size_t size : {0u, 1u, 100u, 200000u}) {
    const Bytes data = SampleData(size);
    auto compressed = ZstdCompress(data, 3);
    ASSERT_TRUE(compressed.ok()) << compressed.status().ToString();
    auto back = ZstdDecompress(*compressed, size);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, data);
  }
}

TEST(ZstdTest, EmptyContentIsStillOneFrame) {
  auto compressed = ZstdCompress({}, 3);
  ASSERT_TRUE(compressed.ok());
  EXPECT_FALSE(compressed->empty());
  auto back = ZstdDecompress(*compressed, 0);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->empty());
}

TEST(ZstdTest, LevelsRoundTrip) {
  const Bytes data = SampleData(50000, 7);
  for (int level : {-5, 1, 9, 19}) {
    auto compressed = ZstdCompress(data, level);
    ASSERT_TRUE(compressed.ok());
    EXPECT_EQ(*ZstdDecompress(*compressed, data.size()), data) << "level " << level;
  }
}

TEST(ZstdTest, MultiThreadedRoundTrip) {
  // Large enough that zstd really splits the job between workers.
  const Bytes data = SampleData(12u << 20, 3);
  auto compressed = ZstdCompress(data, 3, 4);
  ASSERT_TRUE(compressed.ok()) << compressed.status().ToString();
  EXPECT_LT(compressed->size(), data.size());
  auto back = ZstdDecompress(*compressed, data.size());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, data);
}

TEST(ZstdTest, LimitIsExact) {
  const Bytes data = SampleData(100000);
  const Bytes compressed = *ZstdCompress(data, 3);
  EXPECT_TRUE(ZstdDecompress(compressed, data.size()).ok());
  auto over = ZstdDecompress(compressed, data.size() - 1);
  ASSERT_FALSE(over.ok());
  EXPECT_TRUE(over.status().IsCorruption());
  EXPECT_EQ(over.status().message(), "zstd: decompressed data exceeds 99999 bytes");
  EXPECT_FALSE(ZstdDecompress(compressed, 0).ok());
}

TEST(ZstdTest, SinkNeverSeesMoreThanLimit) {
  const Bytes data = SampleData(1u << 20);
  const Bytes compressed = *ZstdCompress(data, 1);
  const uint64_t limit = 300000;
  uint64_t seen = 0;
  auto stream = Take(ZstdDecompressStream::Create(limit, [&seen](ByteSpan chunk) {
    seen += chunk.size();
    return Status::Ok();
  }));
  Status s = stream->Write(compressed);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_LE(seen, limit);
  EXPECT_LE(stream->output_bytes(), limit);
  // The failure is sticky.
  EXPECT_TRUE(stream->Write(Bytes{1}).IsCorruption());
  EXPECT_TRUE(stream->Finish().IsCorruption());
}

TEST(ZstdTest, LimitCountsAcrossFrames) {
  const Bytes a = SampleData(1000, 1);
  const Bytes two = Concat(*ZstdCompress(a, 3), *ZstdCompress(a, 3));
  auto both = ZstdDecompress(two, 2000);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(*both, Concat(a, a));
  EXPECT_FALSE(ZstdDecompress(two, 1999).ok());
}

TEST(ZstdTest, TruncatedFrameFailsAtFinish) {
  const Bytes data = SampleData(20000);
  const Bytes compressed = *ZstdCompress(data, 3);
  for (size_t cut : {size_t{1}, size_t{4}, size_t{10}, compressed.size() / 2,
                     compressed.size() - 1}) {
    Bytes out;
    auto stream = Take(ZstdDecompressStream::Create(data.size(), AppendTo(out)));
    ASSERT_TRUE(stream->Write(ByteSpan(compressed).first(cut)).ok()) << "cut " << cut;
    Status s = stream->Finish();
    EXPECT_TRUE(s.IsCorruption()) << "cut " << cut;
    EXPECT_EQ(s.message(), "zstd: truncated frame");
    EXPECT_FALSE(ZstdDecompress(ByteSpan(compressed).first(cut), data.size()).ok());
  }
}

TEST(ZstdTest, NoInputIsNotAFile) {
  auto stream = Take(ZstdDecompressStream::Create(100, [](ByteSpan) { return Status::Ok(); }));
  ASSERT_TRUE(stream->Write({}).ok());
  Status s = stream->Finish();
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_FALSE(ZstdDecompress({}, 100).ok());
}

TEST(ZstdTest, GarbageAndTrailingBytesRejected) {
  EXPECT_TRUE(ZstdDecompress(Bytes(64, 0x42), 1000).status().IsCorruption());
  const Bytes good = *ZstdCompress(SampleData(100), 3);
  EXPECT_FALSE(ZstdDecompress(Concat(good, Bytes{0x00}), 1000).ok());
  EXPECT_FALSE(ZstdDecompress(Concat(good, Bytes(16, 0x42)), 1000).ok());
}

TEST(ZstdTest, CorruptedPayloadRejected) {
  const Bytes data = SampleData(5000);
  Bytes compressed = *ZstdCompress(data, 3);
  // zstd frames from ZstdCompress carry no checksum, but a damaged block
  // must still never decode silently into more than the limit.
  compressed[compressed.size() / 2] ^= 0xff;
  auto back = ZstdDecompress(compressed, data.size());
  if (back.ok()) {
    EXPECT_LE(back->size(), data.size());
  }
}

// Found by fuzz_zstd: a frame header declaring 41 bytes of content, then
// empty raw blocks. libzstd refuses it in one-pass mode but accepts it when
// fed in pieces; Larch must refuse it however it is split.
TEST(ZstdTest, DeclaredSizeMismatchRefusedAtEverySplit) {
  const Bytes lying{0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x29, 0, 0, 0, 0, 0, 0,
                    0,    0,    0,    0,    0,    0,    1, 0, 0};
  EXPECT_TRUE(ZstdDecompress(lying, 1000).status().IsCorruption());
  for (size_t split = 0; split <= lying.size(); ++split) {
    auto stream = Take(ZstdDecompressStream::Create(1000, [](ByteSpan) { return Status::Ok(); }));
    Status s = stream->Write(ByteSpan(lying).first(split));
    if (s.ok()) s = stream->Write(ByteSpan(lying).subspan(split));
    if (s.ok()) s = stream->Finish();
    EXPECT_TRUE(s.IsCorruption()) << "split " << split;
  }
  // The same lie in a second frame, after a good one.
  Bytes two = *ZstdCompress(SampleData(10), 3);
  two.insert(two.end(), lying.begin(), lying.end());
  EXPECT_TRUE(ZstdDecompress(two, 1000).status().IsCorruption());
}

// Found by fuzz_zstd: a frame with the zstd v0.7 magic. Legacy formats are
// refused whether or not libzstd was built to decode them.
TEST(ZstdTest, LegacyFormatRefused) {
  const Bytes legacy{0x27, 0xb5, 0x2f, 0xfd, 0x00, 0x29, 0x00, 0x00, 0x00};
  EXPECT_TRUE(ZstdDecompress(legacy, 1000).status().IsCorruption());
  for (size_t split = 0; split <= legacy.size(); ++split) {
    auto stream = Take(ZstdDecompressStream::Create(1000, [](ByteSpan) { return Status::Ok(); }));
    Status s = stream->Write(ByteSpan(legacy).first(split));
    if (s.ok()) s = stream->Write(ByteSpan(legacy).subspan(split));
    if (s.ok()) s = stream->Finish();
    EXPECT_TRUE(s.IsCorruption()) << "split " << split;
  }
}

// Found by fuzz_zstd: an RLE block of size 0, which libzstd's one-pass
// path accepts and its streaming path refuses. Larch answers the same for
// every split of the input.
TEST(ZstdTest, SameVerdictForEverySplit) {
  const Bytes odd{0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x00, 0x03, 0x00, 0x00, 0x28};
  const bool whole = ZstdDecompress(odd, 1000).ok();
  for (size_t split = 0; split <= odd.size(); ++split) {
    auto stream = Take(ZstdDecompressStream::Create(1000, [](ByteSpan) { return Status::Ok(); }));
    Status s = stream->Write(ByteSpan(odd).first(split));
    if (s.ok()) s = stream->Write(ByteSpan(odd).subspan(split));
    if (s.ok()) s = stream->Finish();
    EXPECT_EQ(s.ok(), whole) << "split " << split;
  }
}

TEST(ZstdTest, SkippableFrameIsAccepted) {
  // Magic 0x184D2A50, 4-byte length 3, payload; then a real frame.
  Bytes input{0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 'a', 'b', 'c'};
  const Bytes data = SampleData(100);
  const Bytes frame = *ZstdCompress(data, 3);
  input.insert(input.end(), frame.begin(), frame.end());
  auto back = ZstdDecompress(input, 100);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, data);
}

TEST(ZstdTest, StreamingDecompressByteByByte) {
  const Bytes data = SampleData(300000, 9);  // spans several output buffers
  const Bytes compressed = *ZstdCompress(data, 3);
  Bytes out;
  auto stream = Take(ZstdDecompressStream::Create(data.size(), AppendTo(out)));
  for (uint8_t b : compressed) ASSERT_TRUE(stream->Write(ByteSpan(&b, 1)).ok());
  // An empty write after a complete frame must not look like a new frame.
  ASSERT_TRUE(stream->Write({}).ok());
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_EQ(out, data);
  EXPECT_EQ(stream->output_bytes(), data.size());
}

TEST(ZstdTest, StreamingCompressRoundTrip) {
  for (int threads : {1, 3}) {
    const Bytes data = SampleData(3u << 20, 5);
    Bytes compressed;
    auto stream = Take(ZstdCompressStream::Create(3, threads, AppendTo(compressed)));
    for (size_t off = 0; off < data.size(); off += 70001) {
      const size_t n = std::min<size_t>(70001, data.size() - off);
      ASSERT_TRUE(stream->Write(ByteSpan(data).subspan(off, n)).ok());
    }
    ASSERT_TRUE(stream->Finish().ok());
    EXPECT_FALSE(stream->Write(Bytes{1}).ok());
    auto back = ZstdDecompress(compressed, data.size());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, data) << "threads " << threads;
  }
}

TEST(ZstdTest, SinkErrorsPropagate) {
  const Bytes data = SampleData(1000);
  auto failing = [](ByteSpan) { return Status::NoSpace("disk full"); };
  auto c = Take(ZstdCompressStream::Create(3, 1, failing));
  ASSERT_TRUE(c->Write(data).ok());  // buffered inside zstd so far
  EXPECT_EQ(c->Finish().code(), StatusCode::kNoSpace);

  auto d = Take(ZstdDecompressStream::Create(data.size(), failing));
  EXPECT_EQ(d->Write(*ZstdCompress(data, 3)).code(), StatusCode::kNoSpace);
}

}  // namespace
}  // namespace larch::compress
