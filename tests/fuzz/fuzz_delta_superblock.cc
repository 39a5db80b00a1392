// File: tests/fuzz/fuzz_delta_superblock.cc
// Decode a delta superblock body; anything accepted must be valid and
// re-encode byte for byte (one encoding per superblock, so one digest to
// sign).
#include <cstddef>
#include <cstdint>

#include "repo/delta/superblock.h"
#include "tests/fuzz/canonical_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const larch::ByteSpan input(data, size);
  auto decoded = larch::delta::DecodeSuperblock(input);
  if (!decoded.ok()) return 0;
  if (!larch::delta::ValidateSuperblock(*decoded).ok()) __builtin_trap();
  larch::fuzz::TrapUnlessSame(input, larch::delta::EncodeSuperblock(*decoded));
  return 0;
}
