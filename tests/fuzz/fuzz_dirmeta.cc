// File: tests/fuzz/fuzz_dirmeta.cc
// Decode; anything accepted must be valid and re-encode byte for byte.
#include <cstddef>
#include <cstdint>

#include "repo/objects/dirmeta.h"
#include "tests/fuzz/canonical_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const larch::ByteSpan input(data, size);
  auto decoded = larch::repo::DecodeDirMeta(input);
  if (!decoded.ok()) return 0;
  if (!larch::repo::ValidateDirMeta(*decoded).ok()) __builtin_trap();
  larch::fuzz::TrapUnlessSame(input, larch::repo::EncodeDirMeta(*decoded));
  return 0;
}
