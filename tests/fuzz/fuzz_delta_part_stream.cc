// File: tests/fuzz/fuzz_delta_part_stream.cc
// The applier's part decoders on hostile bytes: input[0] is the compression
// byte the superblock would carry (any value, so unknown kinds are tried),
// input[1..2] the declared uncompressed size, the rest the part file. A
// decoder must refuse cleanly or yield exactly the declared size, and (for
// xz) never get past liblzma's memory limit; whatever decodes is then fed
// to the part parser, as apply does.
#include <cstddef>
#include <cstdint>

#include "repo/delta/part.h"
#include "repo/delta/part_compression.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  larch::delta::PartInfo info;
  info.compression = static_cast<larch::delta::PartCompression>(data[0]);
  info.uncompressed_size = static_cast<uint64_t>(data[1]) << 8 | data[2];
  larch::delta::SpanSource compressed(larch::ByteSpan(data + 3, size - 3));
  auto decoder = larch::delta::OpenPart(compressed, info);
  if (!decoder.ok()) {
    if (data[0] < larch::delta::kNumPartCompressions) __builtin_trap();  // known kinds open
    return 0;
  }
  auto plain = larch::delta::ReadAll(**decoder);
  if (!plain.ok()) return 0;
  if (plain->size() != info.uncompressed_size) __builtin_trap();
  (void)larch::delta::DecodePart(*plain);
  return 0;
}
