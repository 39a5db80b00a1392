// File: repo/trust/signing.h
//
// What exactly a signature covers, and the threshold check every signed
// thing goes through. The message is domain-separated:
//   "larch-signature-v1" NUL | u8 SignedKind | SHA-256 digest (32 bytes)
// where the digest is the commit id for commits and the SHA-256 of the
// body for signed envelopes. Fixed length, so no ambiguity; the kind byte
// stops a summary signature from being replayed as a commit signature.
#pragma once

#include <span>
#include <string_view>

#include "repo/objects/commitmeta.h"
#include "repo/objects/signed_envelope.h"
#include "repo/trust/trust_policy.h"
#include "src/crypto/ed25519.h"

namespace larch::trust {

using repo::SignedKind;
using repo::SigningMessage;  // repo/objects/signed_envelope.h

Result<repo::CommitSignature> SignDigest(const crypto::Ed25519PrivateKey& key, SignedKind kind,
                                         const crypto::Sha256Digest& digest);

// How each signature fared, for `larch verify` and for messages.
struct SignatureVerdict {
  crypto::KeyId key_id;
  enum class Outcome { kValid, kRevoked, kUnknownKey, kBadSignature } outcome;
};
std::vector<SignatureVerdict> JudgeSignatures(const Keyring& keyring, SignedKind kind,
                                              const crypto::Sha256Digest& digest,
                                              std::span<const repo::CommitSignature> sigs);
const char* OutcomeName(SignatureVerdict::Outcome outcome);

// Ok when at least policy.threshold signatures are valid and by distinct,
// non-revoked keys of policy.keyring. Otherwise kVerifyFailed:
//   "<what>: signature threshold not met: 1 valid signature by a trusted key,
//    2 required (key 3f2a… revoked; key 77c1… not in keyring /etc/…)"
Status CheckSignatures(const TrustPolicy& policy, SignedKind kind, const crypto::Sha256Digest& digest,
                       std::span<const repo::CommitSignature> sigs, std::string_view what);

// A key id as people read it: the first 16 hex digits.
std::string ShortKeyId(const crypto::KeyId& id);

}  // namespace larch::trust
