// File: tests/fuzz/fuzz_boot_state.cc
// The boot-state decoder (src/bootstate/boot_state.h), shared with the boot-time
// helper: anything it accepts must be valid and re-encode to exactly the
// input (the format has one encoding per state).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "src/bootstate/boot_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace larch::boot;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Decoded<BootState> d = DecodeBootState(text);
  if (!d.value) {
    if (d.error.empty()) __builtin_trap();
    return 0;
  }
  if (!BootStateError(*d.value).empty()) __builtin_trap();
  if (EncodeBootState(*d.value) != text) __builtin_trap();
  return 0;
}
