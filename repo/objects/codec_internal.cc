// File: repo/objects/codec_internal.cc
#include "repo/objects/codec_internal.h"

#include <algorithm>
#include <cstdio>

#include "repo/objects/file_header.h"
#include "src/base/hex.h"

namespace larch::repo::internal {

void EncodePrefix(encoding::Encoder& enc, ObjectType type) {
  enc.U8(static_cast<uint8_t>(type));
  enc.U8(kFormatVersion);
}

Status DecodePrefix(encoding::Decoder& dec, ObjectType type) {
  LARCH_ASSIGN_OR_RETURN(uint8_t tag, dec.U8());
  if (tag != static_cast<uint8_t>(type)) {
    return dec.Error("wrong type tag " + std::to_string(tag) + " (want " +
                     std::to_string(static_cast<int>(type)) + ")");
  }
  LARCH_ASSIGN_OR_RETURN(uint8_t version, dec.U8());
  if (version != kFormatVersion) {
    return dec.Error("unsupported format version " + std::to_string(version));
  }
  return Status::Ok();
}

void EncodeObjectId(encoding::Encoder& enc, const ObjectId& id) { enc.Raw(id.bytes()); }

Result<ObjectId> DecodeObjectId(encoding::Decoder& dec) {
  LARCH_ASSIGN_OR_RETURN(ByteSpan raw, dec.Raw(ObjectId::kSize));
  return ObjectId::FromBytes(raw);
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

Status Invalid(std::string_view what, std::string_view msg) {
  std::string text(what);
  text += ": ";
  text += msg;
  return Status::InvalidArgument(std::move(text));
}

Status AsCorruption(const Status& s) {
  if (s.ok()) return s;
  return Status::Corruption(s.message());
}

Status ValidateXattrs(const Xattrs& xattrs, std::string_view what) {
  if (xattrs.size() > kMaxXattrs) {
    return Invalid(what, std::to_string(xattrs.size()) + " xattrs exceed limit " +
                             std::to_string(kMaxXattrs));
  }
  for (size_t i = 0; i < xattrs.size(); ++i) {
    const Xattr& x = xattrs[i];
    if (x.name.empty() || x.name.size() > kMaxXattrName ||
        x.name.find('\0') != std::string::npos) {
      return Invalid(what, "invalid xattr name " + Quote(x.name));
    }
    if (x.value.size() > kMaxXattrValue) {
      return Invalid(what, "xattr " + Quote(x.name) + " value of " +
                               std::to_string(x.value.size()) + " bytes exceeds limit");
    }
    // std::string compares bytes as unsigned char: the same order as the
    // encoded bytes, which is what "sorted" means on disk.
    if (i > 0 && !(xattrs[i - 1].name < x.name)) {
      if (xattrs[i - 1].name == x.name) return Invalid(what, "duplicate xattr " + Quote(x.name));
      return Invalid(what, "xattrs not sorted: " + Quote(x.name) + " after " +
                               Quote(xattrs[i - 1].name));
    }
  }
  return Status::Ok();
}

void EncodeXattrs(encoding::Encoder& enc, const Xattrs& xattrs) {
  enc.U32(static_cast<uint32_t>(xattrs.size()));
  for (const Xattr& x : xattrs) {
    enc.Str(x.name);
    enc.Blob(x.value);
  }
}

Result<Xattrs> DecodeXattrs(encoding::Decoder& dec) {
  // Smallest parseable xattr: two empty length-prefixed fields. (Empty names
  // are refused later, with a message that says so.)
  constexpr size_t kMinXattrSize = 4 + 4;
  LARCH_ASSIGN_OR_RETURN(uint32_t count, dec.Count(kMaxXattrs, kMinXattrSize));
  Xattrs xattrs;
  xattrs.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    Xattr x;
    LARCH_ASSIGN_OR_RETURN(x.name, dec.Str(kMaxXattrName));
    LARCH_ASSIGN_OR_RETURN(x.value, dec.Blob(kMaxXattrValue));
    xattrs.push_back(std::move(x));
  }
  return xattrs;
}

namespace {
constexpr size_t kSignatureEntrySize = 32 + 64;
}  // namespace

Status ValidateSignatures(std::span<const CommitSignature> sigs, std::string_view what) {
  if (sigs.size() > kMaxSignatures) {
    return Invalid(what, "more than " + std::to_string(kMaxSignatures) + " signatures");
  }
  for (size_t i = 1; i < sigs.size(); ++i) {
    // std::array<uint8_t> compares bytewise, the encoded order.
    if (sigs[i - 1].key_id == sigs[i].key_id) {
      return Invalid(what, "duplicate signature by key " + HexEncode(sigs[i].key_id));
    }
    if (!(sigs[i - 1].key_id < sigs[i].key_id)) {
      return Invalid(what, "signatures not sorted by key id: " + HexEncode(sigs[i].key_id) +
                               " after " + HexEncode(sigs[i - 1].key_id));
    }
  }
  return Status::Ok();
}

void EncodeSignatures(encoding::Encoder& enc, std::span<const CommitSignature> sigs) {
  enc.U32(static_cast<uint32_t>(sigs.size()));
  for (const CommitSignature& sig : sigs) {
    enc.Raw(sig.key_id);
    enc.Raw(sig.signature);
  }
}

Result<std::vector<CommitSignature>> DecodeSignatures(encoding::Decoder& dec) {
  LARCH_ASSIGN_OR_RETURN(uint32_t count, dec.Count(kMaxSignatures, kSignatureEntrySize));
  std::vector<CommitSignature> sigs(count);
  for (CommitSignature& sig : sigs) {
    LARCH_ASSIGN_OR_RETURN(ByteSpan key_id, dec.Raw(sig.key_id.size()));
    std::copy(key_id.begin(), key_id.end(), sig.key_id.begin());
    LARCH_ASSIGN_OR_RETURN(ByteSpan signature, dec.Raw(sig.signature.size()));
    std::copy(signature.begin(), signature.end(), sig.signature.begin());
  }
  return sigs;
}

}  // namespace larch::repo::internal
