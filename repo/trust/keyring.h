// File: repo/trust/keyring.h
//
// Keyring: the public keys a device trusts for one remote, and the keys it
// no longer trusts. On disk, a directory (docs/security.md, "Keyrings"):
//   <dir>/*.pub     Ed25519 public keys in PEM (what `larch key generate` writes)
//   <dir>/revoked   optional: key ids (64 hex digits), one per line; '#'
//                   starts a comment. A revoked key's signatures never count,
//                   even when its .pub file is still present.
// Shipping the keyring inside the OS image (e.g. /usr/share/larch/keyrings)
// lets an update rotate keys and revoke old ones.
#pragma once

#include <map>
#include <set>
#include <string>

#include "src/base/result.h"
#include "src/crypto/ed25519.h"

namespace larch::trust {

class Keyring {
 public:
  // Loads a keyring directory; any malformed file is an error naming it
  // (a half-read keyring would silently weaken a threshold).
  static Result<Keyring> Load(const std::string& dir);
  static Keyring FromKeys(const std::vector<crypto::Ed25519PublicKey>& keys,
                          const std::set<crypto::KeyId>& revoked = {});

  // nullptr when the key is unknown.
  const crypto::Ed25519PublicKey* Find(const crypto::KeyId& id) const;
  bool IsRevoked(const crypto::KeyId& id) const { return revoked_.count(id) != 0; }
  size_t size() const { return keys_.size(); }
  const std::string& source() const { return source_; }
  const std::map<crypto::KeyId, crypto::Ed25519PublicKey>& keys() const { return keys_; }
  const std::set<crypto::KeyId>& revoked() const { return revoked_; }

 private:
  std::map<crypto::KeyId, crypto::Ed25519PublicKey> keys_;
  std::set<crypto::KeyId> revoked_;
  std::string source_;  // the directory, for messages
};

// Parses a `revoked` file's text (the decoder of that format).
Result<std::set<crypto::KeyId>> ParseRevokedList(std::string_view text);

}  // namespace larch::trust
