// File: src/encoding/encoding.h
//
// The canonical binary encoding every Larch object and record uses. One
// value has exactly one encoding, so equal content hashes equal:
//   - integers are fixed-width little-endian (u8, u32, u64);
//   - byte strings and text are a u32 length followed by the bytes;
//   - fixed-size blobs (checksums) are written raw;
//   - lists are a u32 count followed by the elements.
// The Decoder is strict: every read is bounds-checked, lengths are limited,
// and Finish() fails unless every byte was consumed. Decoders of concrete
// structures (repo/objects/*.cc) build on it and add their own rules
// (sorted names, valid modes); see docs/formats.md.
#pragma once

#include <cstdint>
#include <string>

#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::encoding {

class Encoder {
 public:
  void U8(uint8_t v);
  void U32(uint32_t v);
  void U64(uint64_t v);
  void Raw(ByteSpan data);           // no length prefix
  void Blob(ByteSpan data);          // u32 length + bytes
  void Str(std::string_view s);      // u32 length + bytes
  const Bytes& bytes() const { return out_; }
  Bytes Take() { return std::move(out_); }

 private:
  Bytes out_;
};

class Decoder {
 public:
  // `what` names the structure in error messages ("dirtree", "commit").
  Decoder(ByteSpan data, std::string what) : data_(data), what_(std::move(what)) {}

  Result<uint8_t> U8();
  Result<uint32_t> U32();
  Result<uint64_t> U64();
  Result<ByteSpan> Raw(size_t n);
  // Length-prefixed; fails if the length exceeds max_len or the input.
  Result<Bytes> Blob(size_t max_len);
  Result<std::string> Str(size_t max_len);
  // A u32 count, refused when it exceeds max_count or could not possibly fit
  // in the remaining bytes at min_element_size each (no huge reservations).
  Result<uint32_t> Count(uint32_t max_count, size_t min_element_size);

  size_t remaining() const { return data_.size() - pos_; }
  // Fails with kCorruption when bytes are left over.
  Status Finish() const;
  // A kCorruption status "<what>: <msg> at offset N".
  Status Error(std::string_view msg) const;

 private:
  ByteSpan data_;
  size_t pos_ = 0;
  std::string what_;
};

}  // namespace larch::encoding
