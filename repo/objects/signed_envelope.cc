// File: repo/objects/signed_envelope.cc
// Layout (docs/formats.md, "Signed envelopes"):
//   magic "LRCHSIG1" | u8 kind | u32 body length + body | signatures
#include "repo/objects/signed_envelope.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "repo/objects/codec_internal.h"
#include "src/encoding/encoding.h"

namespace larch::repo {

namespace {

constexpr char kMagic[8] = {'L', 'R', 'C', 'H', 'S', 'I', 'G', '1'};
constexpr std::string_view kWhat = "signed envelope";

bool IsKnownKind(uint8_t v) { return v >= 1 && v <= 4; }

}  // namespace

namespace {
constexpr char kSigningDomain[] = "larch-signature-v1";  // sizeof includes the NUL
}  // namespace

Bytes SigningMessage(SignedKind kind, const std::array<uint8_t, 32>& digest) {
  Bytes msg(kSigningDomain, kSigningDomain + sizeof(kSigningDomain));
  msg.push_back(static_cast<uint8_t>(kind));
  msg.insert(msg.end(), digest.begin(), digest.end());
  return msg;
}

const char* SignedKindName(SignedKind kind) {
  switch (kind) {
    case SignedKind::kCommit: return "commit";
    case SignedKind::kSummary: return "summary";
    case SignedKind::kDeltaSuperblock: return "delta superblock";
    case SignedKind::kBundle: return "bundle";
  }
  return "unknown";
}

Status ValidateSignedEnvelope(const SignedEnvelope& env) {
  if (!IsKnownKind(static_cast<uint8_t>(env.kind)) || env.kind == SignedKind::kCommit) {
    return internal::Invalid(kWhat, "kind " + std::to_string(static_cast<int>(env.kind)) +
                                        " is not an envelope kind");
  }
  if (env.body.size() > kMaxEnvelopeBody) return internal::Invalid(kWhat, "body too large");
  return internal::ValidateSignatures(env.signatures, kWhat);
}

Bytes EncodeSignedEnvelope(const SignedEnvelope& env) {
  assert(ValidateSignedEnvelope(env).ok());
  encoding::Encoder enc;
  enc.Raw(ByteSpan(reinterpret_cast<const uint8_t*>(kMagic), sizeof(kMagic)));
  enc.U8(static_cast<uint8_t>(env.kind));
  enc.Blob(env.body);
  internal::EncodeSignatures(enc, env.signatures);
  return enc.Take();
}

Result<SignedEnvelope> DecodeSignedEnvelope(ByteSpan data, SignedKind expected, size_t max_body) {
  encoding::Decoder dec(data, std::string(kWhat));
  LARCH_ASSIGN_OR_RETURN(ByteSpan magic, dec.Raw(sizeof(kMagic)));
  if (std::memcmp(magic.data(), kMagic, sizeof(kMagic)) != 0) {
    return dec.Error("not a Larch signed file (bad magic)");
  }
  LARCH_ASSIGN_OR_RETURN(uint8_t kind, dec.U8());
  if (kind != static_cast<uint8_t>(expected)) {
    return dec.Error(std::string("expected a ") + SignedKindName(expected) + ", found kind " +
                     std::to_string(kind));
  }
  SignedEnvelope env;
  env.kind = expected;
  LARCH_ASSIGN_OR_RETURN(env.body, dec.Blob(std::min(max_body, kMaxEnvelopeBody)));
  LARCH_ASSIGN_OR_RETURN(env.signatures, internal::DecodeSignatures(dec));
  LARCH_RETURN_IF_ERROR(dec.Finish());
  LARCH_RETURN_IF_ERROR(internal::AsCorruption(ValidateSignedEnvelope(env)));
  return env;
}

void AddSignature(std::vector<CommitSignature>& sigs, const CommitSignature& sig) {
  auto it = std::lower_bound(sigs.begin(), sigs.end(), sig,
                             [](const CommitSignature& a, const CommitSignature& b) {
                               return a.key_id < b.key_id;
                             });
  if (it != sigs.end() && it->key_id == sig.key_id) {
    *it = sig;
  } else {
    sigs.insert(it, sig);
  }
}

}  // namespace larch::repo
