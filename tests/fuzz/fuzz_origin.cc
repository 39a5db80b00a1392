// File: tests/fuzz/fuzz_origin.cc
// A deployment's .origin file decoder (deploy/origin.h): anything accepted
// is valid and survives a round trip through the canonical encoding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "deploy/origin.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace larch::deploy;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto origin = DecodeOrigin(text, "fuzz.origin");
  if (!origin.ok()) return 0;
  if (!ValidateOrigin(*origin).ok()) __builtin_trap();
  auto again = DecodeOrigin(EncodeOrigin(*origin), "fuzz.origin");
  if (!again.ok() || !(*again == *origin)) __builtin_trap();
  return 0;
}
