// File: src/crypto/ed25519.h
//
// Ed25519 keys and signatures through OpenSSL 3 (EVP_PKEY). Keys travel as
// PEM: private keys as PKCS#8 ("-----BEGIN PRIVATE KEY-----"), public keys as
// SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----"), so `openssl pkey`
// reads and writes the same files. A key is named by its key id: the SHA-256
// of the raw 32-byte public key (the id stored beside each signature).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "src/base/bytes.h"
#include "src/base/result.h"
#include "src/crypto/sha256.h"

namespace larch::crypto {

using Ed25519Signature = std::array<uint8_t, 64>;
using Ed25519RawPublicKey = std::array<uint8_t, 32>;
using KeyId = Sha256Digest;

class Ed25519PublicKey {
 public:
  // Parses a PEM public key; refuses other algorithms and trailing garbage.
  static Result<Ed25519PublicKey> FromPem(std::string_view pem);
  static Ed25519PublicKey FromRaw(const Ed25519RawPublicKey& raw);

  const Ed25519RawPublicKey& raw() const { return raw_; }
  KeyId id() const { return Sha256::Hash(raw_); }
  std::string ToPem() const;
  // True only for a valid signature of `message` by this key.
  bool Verify(ByteSpan message, const Ed25519Signature& signature) const;

 private:
  explicit Ed25519PublicKey(const Ed25519RawPublicKey& raw) : raw_(raw) {}
  Ed25519RawPublicKey raw_;
};

class Ed25519PrivateKey {
 public:
  static Result<Ed25519PrivateKey> Generate();
  static Result<Ed25519PrivateKey> FromPem(std::string_view pem);

  ~Ed25519PrivateKey();
  Ed25519PrivateKey(Ed25519PrivateKey&&) noexcept;
  Ed25519PrivateKey& operator=(Ed25519PrivateKey&&) noexcept;

  Ed25519PublicKey public_key() const;
  KeyId id() const { return public_key().id(); }
  std::string ToPem() const;
  Result<Ed25519Signature> Sign(ByteSpan message) const;

 private:
  struct Key;
  explicit Ed25519PrivateKey(std::unique_ptr<Key> key);
  std::unique_ptr<Key> key_;
};

}  // namespace larch::crypto
