// File: repo/objects/codec_internal.h
// Pieces shared by the object codecs in this folder; not for use elsewhere.
// Every object encoding starts with the same two-byte prefix, and files and
// directories store xattrs the same way, so the rules live in one place.
#pragma once

#include <cstdint>
#include <span>
#include <vector>
#include <string>
#include <string_view>

#include "repo/objects/commitmeta.h"
#include "repo/objects/object_id.h"
#include "src/base/result.h"
#include "src/base/xattr.h"
#include "src/encoding/encoding.h"

namespace larch::repo::internal {

// Bumped only with a new layout; decoders refuse versions they do not know
// rather than guess, since a misread object would hash differently.
inline constexpr uint8_t kFormatVersion = 1;

// u8 type tag (the ObjectType value) + u8 format version.
void EncodePrefix(encoding::Encoder& enc, ObjectType type);
Status DecodePrefix(encoding::Decoder& dec, ObjectType type);

void EncodeObjectId(encoding::Encoder& enc, const ObjectId& id);
Result<ObjectId> DecodeObjectId(encoding::Decoder& dec);

// `s` in double quotes with '"', '\\' and non-printable bytes escaped
// (\xNN), for messages about untrusted names.
std::string Quote(std::string_view s);

// "<what>: <msg>" as kInvalidArgument: what Validate* functions return.
Status Invalid(std::string_view what, std::string_view msg);
// The same message as kCorruption: what decoders return when the bytes
// parsed but the value breaks a rule. Validate* and Decode* share one rule
// set this way, so Decode(Encode(x)) works for exactly the valid x.
Status AsCorruption(const Status& s);

// Names non-empty, NUL-free, at most kMaxXattrName bytes, strictly sorted
// (bytewise, hence unique); values at most kMaxXattrValue; at most
// kMaxXattrs entries.
Status ValidateXattrs(const Xattrs& xattrs, std::string_view what);
// u32 count, then per xattr: u32 name length + name, u32 value length + value.
void EncodeXattrs(encoding::Encoder& enc, const Xattrs& xattrs);
// Parses the layout and its limits only; callers run ValidateXattrs (via
// their own Validate*) afterwards.
Result<Xattrs> DecodeXattrs(encoding::Decoder& dec);

// Signature lists (commitmeta and signed envelopes): at most kMaxSignatures,
// strictly increasing by key id (so one signature per key, one encoding).
// u32 count, then per signature: key id[32], signature[64].
Status ValidateSignatures(std::span<const CommitSignature> sigs, std::string_view what);
void EncodeSignatures(encoding::Encoder& enc, std::span<const CommitSignature> sigs);
// Parses the layout only; callers validate afterwards.
Result<std::vector<CommitSignature>> DecodeSignatures(encoding::Decoder& dec);

}  // namespace larch::repo::internal
