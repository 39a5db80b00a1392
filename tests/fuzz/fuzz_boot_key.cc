// File: tests/fuzz/fuzz_boot_key.cc
// The boot keyring's PEM decoder (initramfs/boot_keyring.h): whatever it
// accepts is the canonical one-line PEM of the key it returns.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "initramfs/boot_keyring.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto key = larch::initramfs::DecodeEd25519PublicPem(text);
  if (!key) return 0;
  static const uint8_t kPrefix[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
  uint8_t der[44];
  std::copy(kPrefix, kPrefix + 12, der);
  std::copy(key->begin(), key->end(), der + 12);
  char b64[sodium_base64_ENCODED_LEN(44, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(b64, sizeof b64, der, sizeof der, sodium_base64_VARIANT_ORIGINAL);
  std::string canonical = "-----BEGIN PUBLIC KEY-----\n" + std::string(b64) + "\n-----END PUBLIC KEY-----\n";
  if (canonical != text) __builtin_trap();
  return 0;
}
