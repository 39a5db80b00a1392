// File: repo/objects/commitmeta.cc
// Layout (docs/formats.md, "commitmeta"):
//   u8 tag (5) | u8 version (1) | u32 count | per signature: key id[32],
//   signature[64] (ascending by key id)
#include "repo/objects/commitmeta.h"

#include <algorithm>
#include <cassert>

#include "repo/objects/codec_internal.h"
#include "src/base/hex.h"
#include "src/encoding/encoding.h"

namespace larch::repo {

namespace {

constexpr std::string_view kWhat = "commitmeta";
constexpr size_t kSignatureEntrySize = 32 + 64;

}  // namespace

Status ValidateCommitMeta(const CommitMeta& meta) {
  const auto& sigs = meta.signatures;
  if (sigs.size() > kMaxSignatures) {
    return internal::Invalid(kWhat, "more than " + std::to_string(kMaxSignatures) +
                                        " signatures");
  }
  for (size_t i = 1; i < sigs.size(); ++i) {
    // std::array<uint8_t> compares bytewise, the encoded order.
    if (sigs[i - 1].key_id == sigs[i].key_id) {
      return internal::Invalid(kWhat, "duplicate signature by key " + HexEncode(sigs[i].key_id));
    }
    if (!(sigs[i - 1].key_id < sigs[i].key_id)) {
      return internal::Invalid(kWhat, "signatures not sorted by key id: " +
                                          HexEncode(sigs[i].key_id) + " after " +
                                          HexEncode(sigs[i - 1].key_id));
    }
  }
  return Status::Ok();
}

Bytes EncodeCommitMeta(const CommitMeta& meta) {
  assert(ValidateCommitMeta(meta).ok());
  encoding::Encoder enc;
  internal::EncodePrefix(enc, ObjectType::kCommitMeta);
  enc.U32(static_cast<uint32_t>(meta.signatures.size()));
  for (const CommitSignature& sig : meta.signatures) {
    enc.Raw(sig.key_id);
    enc.Raw(sig.signature);
  }
  return enc.Take();
}

Result<CommitMeta> DecodeCommitMeta(ByteSpan data) {
  encoding::Decoder dec(data, std::string(kWhat));
  LARCH_RETURN_IF_ERROR(internal::DecodePrefix(dec, ObjectType::kCommitMeta));
  CommitMeta meta;
  LARCH_ASSIGN_OR_RETURN(uint32_t count, dec.Count(kMaxSignatures, kSignatureEntrySize));
  meta.signatures.resize(count);
  for (CommitSignature& sig : meta.signatures) {
    LARCH_ASSIGN_OR_RETURN(ByteSpan key_id, dec.Raw(sig.key_id.size()));
    std::copy(key_id.begin(), key_id.end(), sig.key_id.begin());
    LARCH_ASSIGN_OR_RETURN(ByteSpan signature, dec.Raw(sig.signature.size()));
    std::copy(signature.begin(), signature.end(), sig.signature.begin());
  }
  LARCH_RETURN_IF_ERROR(dec.Finish());
  LARCH_RETURN_IF_ERROR(internal::AsCorruption(ValidateCommitMeta(meta)));
  return meta;
}

}  // namespace larch::repo
