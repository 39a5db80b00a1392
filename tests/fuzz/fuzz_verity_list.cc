// File: tests/fuzz/fuzz_verity_list.cc
// Decode; anything accepted must be valid and re-encode byte for byte.
#include <cstddef>
#include <cstdint>

#include "repo/objects/verity_list.h"
#include "tests/fuzz/canonical_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const larch::ByteSpan input(data, size);
  auto decoded = larch::repo::DecodeVerityList(input);
  if (!decoded.ok()) return 0;
  if (!larch::repo::ValidateVerityList(*decoded).ok()) __builtin_trap();
  larch::fuzz::TrapUnlessSame(input, larch::repo::EncodeVerityList(*decoded));
  return 0;
}
