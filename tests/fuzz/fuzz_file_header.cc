// File: tests/fuzz/fuzz_file_header.cc
// A file object starts with its header frame; content follows, so only the
// frame's bytes must round-trip.
#include <cstddef>
#include <cstdint>

#include "repo/objects/file_header.h"
#include "tests/fuzz/canonical_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const larch::ByteSpan input(data, size);
  auto parsed = larch::repo::DecodeFileHeaderFrame(input);
  if (!parsed.ok()) return 0;
  if (parsed->frame_size > size) __builtin_trap();
  if (!larch::repo::ValidateFileHeader(parsed->header).ok()) __builtin_trap();
  larch::fuzz::TrapUnlessSame(input.first(parsed->frame_size),
                              larch::repo::EncodeFileHeaderFrame(parsed->header));
  return 0;
}
