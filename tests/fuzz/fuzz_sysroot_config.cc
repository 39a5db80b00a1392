// File: tests/fuzz/fuzz_sysroot_config.cc
// The sysroot config (ostree/larch.conf) decoder (deploy/sysroot_config.h):
// anything accepted survives a round trip through the canonical encoding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "deploy/sysroot_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace larch::deploy;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = DecodeSysrootConfig(text);
  if (!config.ok()) return 0;
  auto again = DecodeSysrootConfig(EncodeSysrootConfig(*config));
  if (!again.ok() || !(*again == *config)) __builtin_trap();
  return 0;
}
