// File: tests/fuzz/fuzz_zstd.cc
// zstd output is not canonical (many frames decode to the same bytes), so
// instead of re-encoding this checks what Larch relies on: the limit holds,
// streaming in pieces agrees with one-shot decoding, each frame holds the
// size it declares, libzstd's one-pass decoder (when it accepts) agrees,
// and the decoded data survives a compress/decompress round trip.
#include <cstddef>
#include <cstdint>
#include <optional>

#include <zstd.h>

#include "src/compress/zstd_stream.h"
#include "tests/fuzz/canonical_check.h"

namespace {

// Small, so the fuzzer explores the limit path rather than big outputs.
constexpr uint64_t kLimit = 64 * 1024;

// Feeds `input` in two pieces; nullopt when the stream refuses it.
std::optional<larch::Bytes> DecodeInPieces(larch::ByteSpan input) {
  larch::Bytes out;
  auto stream = larch::compress::ZstdDecompressStream::Create(kLimit, [&out](larch::ByteSpan c) {
    out.insert(out.end(), c.begin(), c.end());
    return larch::Status::Ok();
  });
  if (!stream.ok()) __builtin_trap();
  const size_t split = input.empty() ? 0 : input[0] % (input.size() + 1);
  if (!(*stream)->Write(input.first(split)).ok()) return std::nullopt;
  if (!(*stream)->Write(input.subspan(split)).ok()) return std::nullopt;
  if (!(*stream)->Finish().ok()) return std::nullopt;
  if ((*stream)->output_bytes() != out.size()) __builtin_trap();
  return out;
}

// Every frame, decoded on its own, yields exactly the size its header
// declares (libzstd's streaming decoder does not check this by itself).
void CheckFrames(larch::ByteSpan input, const larch::Bytes& ours) {
  size_t total = 0;
  while (!input.empty()) {
    const size_t frame_size = ZSTD_findFrameCompressedSize(input.data(), input.size());
    if (ZSTD_isError(frame_size) || frame_size > input.size()) __builtin_trap();
    const larch::ByteSpan frame = input.first(frame_size);
    const unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
    auto alone = larch::compress::ZstdDecompress(frame, kLimit);
    if (declared == ZSTD_CONTENTSIZE_ERROR || !alone.ok()) __builtin_trap();
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != alone->size()) __builtin_trap();
    total += alone->size();
    input = input.subspan(frame_size);
  }
  if (total != ours.size()) __builtin_trap();
}

// libzstd's one-pass decoder and its streaming one disagree on degenerate
// empty blocks, so it may refuse what Larch (always streaming) accepts; when
// both accept, the bytes must agree.
void CheckAgainstOnePass(larch::ByteSpan input, const larch::Bytes& ours) {
  larch::Bytes theirs(kLimit);
  const size_t n = ZSTD_decompress(theirs.data(), theirs.size(), input.data(), input.size());
  if (ZSTD_isError(n)) return;
  theirs.resize(n);
  larch::fuzz::TrapUnlessSame(ours, theirs);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const larch::ByteSpan input(data, size);
  auto whole = larch::compress::ZstdDecompress(input, kLimit);
  auto pieces = DecodeInPieces(input);
  if (whole.ok() != pieces.has_value()) __builtin_trap();
  if (!whole.ok()) return 0;
  if (whole->size() > kLimit) __builtin_trap();
  larch::fuzz::TrapUnlessSame(*whole, *pieces);
  CheckFrames(input, *whole);
  CheckAgainstOnePass(input, *whole);
  auto recompressed = larch::compress::ZstdCompress(*whole, 1);
  if (!recompressed.ok()) __builtin_trap();
  auto again = larch::compress::ZstdDecompress(*recompressed, kLimit);
  if (!again.ok()) __builtin_trap();
  larch::fuzz::TrapUnlessSame(*whole, *again);
  return 0;
}
