// File: src/encoding/encoding.cc
// The canonical encoding. Integers are written byte by byte, never with
// memcpy, so the layout is little-endian whatever the host is.
#include "src/encoding/encoding.h"

#include <cassert>
#include <limits>
#include <string_view>

namespace larch::encoding {

namespace {

template <typename T>
void PutLittleEndian(Bytes& out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}

template <typename T>
T GetLittleEndian(ByteSpan bytes) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    v |= static_cast<T>(static_cast<T>(bytes[i]) << (8 * i));
  }
  return v;
}

}  // namespace

void Encoder::U8(uint8_t v) { out_.push_back(v); }
void Encoder::U32(uint32_t v) { PutLittleEndian(out_, v); }
void Encoder::U64(uint64_t v) { PutLittleEndian(out_, v); }

void Encoder::Raw(ByteSpan data) { out_.insert(out_.end(), data.begin(), data.end()); }

void Encoder::Blob(ByteSpan data) {
  // Callers validate lengths against far smaller limits first.
  assert(data.size() <= std::numeric_limits<uint32_t>::max());
  U32(static_cast<uint32_t>(data.size()));
  Raw(data);
}

void Encoder::Str(std::string_view s) { Blob(AsBytes(s)); }

Result<ByteSpan> Decoder::Raw(size_t n) {
  if (n > remaining()) {
    return Error("truncated: need " + std::to_string(n) + " bytes, " +
                 std::to_string(remaining()) + " left");
  }
  ByteSpan out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Result<uint8_t> Decoder::U8() {
  LARCH_ASSIGN_OR_RETURN(ByteSpan b, Raw(1));
  return b[0];
}

Result<uint32_t> Decoder::U32() {
  LARCH_ASSIGN_OR_RETURN(ByteSpan b, Raw(4));
  return GetLittleEndian<uint32_t>(b);
}

Result<uint64_t> Decoder::U64() {
  LARCH_ASSIGN_OR_RETURN(ByteSpan b, Raw(8));
  return GetLittleEndian<uint64_t>(b);
}

Result<Bytes> Decoder::Blob(size_t max_len) {
  LARCH_ASSIGN_OR_RETURN(uint32_t len, U32());
  if (len > max_len) {
    // Point at the length field, which is what is wrong.
    pos_ -= 4;
    return Error("length " + std::to_string(len) + " exceeds limit " +
                 std::to_string(max_len));
  }
  LARCH_ASSIGN_OR_RETURN(ByteSpan b, Raw(len));
  return Bytes(b.begin(), b.end());
}

Result<std::string> Decoder::Str(size_t max_len) {
  LARCH_ASSIGN_OR_RETURN(Bytes b, Blob(max_len));
  return std::string(AsStringView(b));
}

Result<uint32_t> Decoder::Count(uint32_t max_count, size_t min_element_size) {
  LARCH_ASSIGN_OR_RETURN(uint32_t count, U32());
  if (count > max_count) {
    pos_ -= 4;
    return Error("count " + std::to_string(count) + " exceeds limit " +
                 std::to_string(max_count));
  }
  // Division, not multiplication: count * size could overflow size_t on
  // 32-bit hosts. A count that cannot fit is refused before any caller
  // reserves memory for it.
  const size_t left = remaining();
  if (min_element_size > 0 && count > left / min_element_size) {
    pos_ -= 4;
    return Error("count " + std::to_string(count) + " cannot fit in " +
                 std::to_string(left) + " remaining bytes");
  }
  return count;
}

Status Decoder::Finish() const {
  if (remaining() != 0) {
    return Error(std::to_string(remaining()) + " trailing bytes");
  }
  return Status::Ok();
}

Status Decoder::Error(std::string_view msg) const {
  std::string text = what_;
  text += ": ";
  text += msg;
  text += " at offset ";
  text += std::to_string(pos_);
  return Status::Corruption(std::move(text));
}

}  // namespace larch::encoding
