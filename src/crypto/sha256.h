// File: src/crypto/sha256.h
// SHA-256 through OpenSSL's EVP interface. The digest names every object.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "src/base/bytes.h"

namespace larch::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(ByteSpan data);
  // Returns the digest and resets the hasher for reuse.
  Sha256Digest Finish();

  static Sha256Digest Hash(ByteSpan data);

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace larch::crypto
