// File: tests/fuzz/fuzz_update_window.cc
// The update window parser (deploy/update_window.h): anything accepted
// survives a round trip through the canonical encoding, and the canonical
// text is a fixed point of parse-then-encode.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "deploy/update_window.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace larch::deploy;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto window = ParseUpdateWindow(text);
  if (!window.ok()) return 0;
  std::string canonical = EncodeUpdateWindow(*window);
  auto again = ParseUpdateWindow(canonical);
  if (!again.ok() || !(*again == *window) || EncodeUpdateWindow(*again) != canonical) __builtin_trap();
  return 0;
}
