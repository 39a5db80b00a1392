// File: repo/objects/commitmeta.cc
// Layout (docs/formats.md, "commitmeta"):
//   u8 tag (5) | u8 version (1) | u32 count | per signature: key id[32],
//   signature[64] (ascending by key id)
#include "repo/objects/commitmeta.h"

#include <cassert>

#include "repo/objects/codec_internal.h"
#include "src/encoding/encoding.h"

namespace larch::repo {

namespace {

constexpr std::string_view kWhat = "commitmeta";

}  // namespace

Status ValidateCommitMeta(const CommitMeta& meta) {
  return internal::ValidateSignatures(meta.signatures, kWhat);
}

Bytes EncodeCommitMeta(const CommitMeta& meta) {
  assert(ValidateCommitMeta(meta).ok());
  encoding::Encoder enc;
  internal::EncodePrefix(enc, ObjectType::kCommitMeta);
  internal::EncodeSignatures(enc, meta.signatures);
  return enc.Take();
}

Result<CommitMeta> DecodeCommitMeta(ByteSpan data) {
  encoding::Decoder dec(data, std::string(kWhat));
  LARCH_RETURN_IF_ERROR(internal::DecodePrefix(dec, ObjectType::kCommitMeta));
  CommitMeta meta;
  LARCH_ASSIGN_OR_RETURN(meta.signatures, internal::DecodeSignatures(dec));
  LARCH_RETURN_IF_ERROR(dec.Finish());
  LARCH_RETURN_IF_ERROR(internal::AsCorruption(ValidateCommitMeta(meta)));
  return meta;
}

}  // namespace larch::repo
