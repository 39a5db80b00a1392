// File: repo/objects/signed_envelope.h
//
// SignedEnvelope: a body plus detached Ed25519 signatures, for what travels
// signed but is not a store object: the repository summary, a delta
// superblock, a bundle header. Signatures cover a domain-separated message
// (SignedKind + SHA-256 of the body; see repo/trust/signing.h), so a
// signature made for one kind can never be replayed as another, and adding a
// signature never changes the body. Format: docs/formats.md, "Signed
// envelopes".
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "repo/objects/commitmeta.h"
#include "repo/objects/limits.h"
#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::repo {

// What a signature vouches for. The value is part of the signed message and
// of the envelope's encoding; never renumber.
enum class SignedKind : uint8_t {
  kCommit = 1,           // a commit id (signatures live in the commitmeta)
  kSummary = 2,          // a repository summary
  kDeltaSuperblock = 3,  // a delta's superblock
  kBundle = 4,           // an offline bundle's header
};

const char* SignedKindName(SignedKind kind);

// What a signature of `kind` over a SHA-256 digest covers, domain-separated
// and of fixed length (repo/trust/signing.h says why):
//   "larch-signature-v1" NUL | u8 kind | digest (32 bytes)
// Here, beside the object formats, because the boot-time helper checks
// commit signatures too (initramfs/verify_usr.h) and links no trust code.
Bytes SigningMessage(SignedKind kind, const std::array<uint8_t, 32>& digest);

struct SignedEnvelope {
  SignedKind kind = SignedKind::kSummary;
  Bytes body;
  std::vector<CommitSignature> signatures;  // sorted by key id, one per key
  bool operator==(const SignedEnvelope&) const = default;
};

Status ValidateSignedEnvelope(const SignedEnvelope& env);
Bytes EncodeSignedEnvelope(const SignedEnvelope& env);
// Refuses any kind other than `expected` and bodies above `max_body` bytes.
Result<SignedEnvelope> DecodeSignedEnvelope(ByteSpan data, SignedKind expected,
                                            size_t max_body = kMaxEnvelopeBody);

// Adds or replaces `sig` (by key id) keeping the list sorted.
void AddSignature(std::vector<CommitSignature>& sigs, const CommitSignature& sig);

}  // namespace larch::repo
