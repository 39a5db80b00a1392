// File: repo/trust/signing.cc
#include "repo/trust/signing.h"

#include <cstring>

#include "src/base/hex.h"

namespace larch::trust {

Result<repo::CommitSignature> SignDigest(const crypto::Ed25519PrivateKey& key, SignedKind kind,
                                         const crypto::Sha256Digest& digest) {
  LARCH_ASSIGN_OR_RETURN(crypto::Ed25519Signature sig, key.Sign(SigningMessage(kind, digest)));
  return repo::CommitSignature{key.id(), sig};
}

std::string ShortKeyId(const crypto::KeyId& id) { return HexEncode(id).substr(0, 16); }

const char* OutcomeName(SignatureVerdict::Outcome outcome) {
  switch (outcome) {
    case SignatureVerdict::Outcome::kValid: return "valid";
    case SignatureVerdict::Outcome::kRevoked: return "revoked";
    case SignatureVerdict::Outcome::kUnknownKey: return "not in keyring";
    case SignatureVerdict::Outcome::kBadSignature: return "signature invalid";
  }
  return "?";
}

std::vector<SignatureVerdict> JudgeSignatures(const Keyring& keyring, SignedKind kind,
                                              const crypto::Sha256Digest& digest,
                                              std::span<const repo::CommitSignature> sigs) {
  const Bytes message = SigningMessage(kind, digest);
  std::vector<SignatureVerdict> verdicts;
  for (const repo::CommitSignature& sig : sigs) {
    using O = SignatureVerdict::Outcome;
    O outcome;
    const crypto::Ed25519PublicKey* key = keyring.Find(sig.key_id);
    if (keyring.IsRevoked(sig.key_id)) outcome = O::kRevoked;
    else if (key == nullptr) outcome = O::kUnknownKey;
    // The key id is only a hint: the signature is checked with the key found.
    else if (!key->Verify(message, sig.signature)) outcome = O::kBadSignature;
    else outcome = O::kValid;
    verdicts.push_back({sig.key_id, outcome});
  }
  return verdicts;
}

Status CheckSignatures(const TrustPolicy& policy, SignedKind kind, const crypto::Sha256Digest& digest,
                       std::span<const repo::CommitSignature> sigs, std::string_view what) {
  // Signature lists are unique per key id (the decoders enforce it), and a
  // key id is the hash of the key, so valid signatures are by distinct keys.
  std::vector<SignatureVerdict> verdicts = JudgeSignatures(policy.keyring, kind, digest, sigs);
  size_t valid = 0;
  std::string rejected;
  for (const SignatureVerdict& v : verdicts) {
    if (v.outcome == SignatureVerdict::Outcome::kValid) {
      ++valid;
      continue;
    }
    rejected += rejected.empty() ? "" : "; ";
    rejected += "key " + ShortKeyId(v.key_id) + " " + OutcomeName(v.outcome);
  }
  if (valid >= policy.threshold && policy.threshold > 0) return Status::Ok();
  std::string msg = std::string(what) + ": signature threshold not met: " + std::to_string(valid) +
                    " valid signature" + (valid == 1 ? "" : "s") + " by trusted keys of " +
                    (policy.name.empty() ? "the keyring" : "remote " + policy.name) + ", " +
                    std::to_string(policy.threshold) + " required";
  if (sigs.empty()) msg += " (it is not signed)";
  else if (!rejected.empty()) msg += " (" + rejected + ")";
  return Status::VerifyFailed(msg);
}

}  // namespace larch::trust
