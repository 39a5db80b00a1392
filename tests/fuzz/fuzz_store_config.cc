// File: tests/fuzz/fuzz_store_config.cc
// The store's config file decoder: anything accepted must re-encode to the
// same text (the decoder accepts the canonical form only, keys in order
// aside: the check compares after one more decode/encode round).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "repo/store_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = larch::repo::DecodeStoreConfig(text);
  if (!config.ok()) return 0;
  std::string encoded = larch::repo::EncodeStoreConfig(*config);
  auto again = larch::repo::DecodeStoreConfig(encoded);
  if (!again.ok() || !(*again == *config)) __builtin_trap();
  return 0;
}
