// File: tests/fuzz/fuzz_remote_config.cc
// The text decoders of trust configuration: a remote's .conf file and a
// keyring's revoked list. Anything accepted must be valid and survive a
// round trip (the .conf encoding is canonical for what it accepts).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "repo/trust/keyring.h"
#include "repo/trust/remote_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace larch::trust;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ParseRevokedList(text);
  auto config = DecodeRemoteConfig("fuzz", text);
  if (!config.ok()) return 0;
  if (!ValidateRemoteConfig(*config).ok()) __builtin_trap();
  auto again = DecodeRemoteConfig("fuzz", EncodeRemoteConfig(*config));
  if (!again.ok() || !(*again == *config)) __builtin_trap();
  return 0;
}
