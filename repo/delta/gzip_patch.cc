// File: repo/delta/gzip_patch.cc
#include "repo/delta/gzip_patch.h"

#include <algorithm>
#include <array>
#include <string>

#include "repo/delta/limits.h"
#include "repo/delta/zlib_raw.h"
#include "repo/delta/zstd_patch.h"
#include "src/encoding/encoding.h"

namespace larch::delta {

namespace {

constexpr size_t kHeader = 10;
constexpr size_t kTrailer = 8;

// A gzip member as `gzip -n` writes it: deflate, no optional fields.
bool IsPlainGzip(ByteSpan b) {
  return b.size() >= kHeader + kTrailer && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8 && b[3] == 0;
}

uint32_t Le32(ByteSpan b) {
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}

void PutLe32(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// The decompressed content of a plain gzip member, checked against its
// CRC and size.
Result<Bytes> Gunzip(ByteSpan gz) {
  if (!IsPlainGzip(gz)) return Status::Corruption("gzip patch: base is not a plain gzip member");
  ByteSpan body = gz.subspan(kHeader, gz.size() - kHeader - kTrailer);
  LARCH_ASSIGN_OR_RETURN(Bytes raw, RawInflate(body, kMaxPatchInput));
  LARCH_ASSIGN_OR_RETURN(uint32_t crc, Crc32(raw));
  ByteSpan trailer = gz.subspan(gz.size() - kTrailer);
  if (crc != Le32(trailer) || static_cast<uint32_t>(raw.size()) != Le32(trailer.subspan(4)))
    return Status::Corruption("gzip patch: base fails its CRC");
  return raw;
}

Result<Bytes> Gzip(ByteSpan header, ByteSpan raw, int level, int mem_level) {
  LARCH_ASSIGN_OR_RETURN(Bytes body, RawDeflate(raw, level, mem_level));
  LARCH_ASSIGN_OR_RETURN(uint32_t crc, Crc32(raw));
  Bytes out(header.begin(), header.end());
  out.insert(out.end(), body.begin(), body.end());
  PutLe32(out, crc);
  PutLe32(out, static_cast<uint32_t>(raw.size()));
  return out;
}

// zlib settings worth trying, most likely first (`gzip -9` is Debian's).
constexpr std::array<std::pair<int, int>, 4> kSettings{{{9, 8}, {9, 9}, {6, 8}, {6, 9}}};

}  // namespace

Result<Bytes> GzipPatchCreate(ByteSpan base, ByteSpan target) {
  if (!IsPlainGzip(base) || !IsPlainGzip(target))
    return Status::Unsupported("gzip patch: not plain gzip members");
  Result<Bytes> raw_base = Gunzip(base);
  Result<Bytes> raw_target = Gunzip(target);
  if (!raw_base.ok() || !raw_target.ok()) return Status::Unsupported("gzip patch: does not inflate");
  for (auto [level, mem] : kSettings) {
    Result<Bytes> again = Gzip(target.first(kHeader), *raw_target, level, mem);
    if (!again.ok()) return again.status();
    if (!std::equal(again->begin(), again->end(), target.begin(), target.end())) continue;
    LARCH_ASSIGN_OR_RETURN(Bytes zpatch, ZstdPatchCreate(*raw_base, *raw_target));
    encoding::Encoder enc;
    enc.Raw(target.first(kHeader));
    enc.U8(static_cast<uint8_t>(level));
    enc.U8(static_cast<uint8_t>(mem));
    enc.U32(static_cast<uint32_t>(raw_target->size()));
    enc.Raw(zpatch);
    return enc.Take();
  }
  return Status::Unsupported("gzip patch: zlib does not reproduce the target");
}

Result<Bytes> GzipPatchApply(ByteSpan base, ByteSpan patch, size_t target_size) {
  encoding::Decoder dec(patch, "gzip patch");
  LARCH_ASSIGN_OR_RETURN(ByteSpan header, dec.Raw(kHeader));
  LARCH_ASSIGN_OR_RETURN(uint8_t level, dec.U8());
  LARCH_ASSIGN_OR_RETURN(uint8_t mem, dec.U8());
  LARCH_ASSIGN_OR_RETURN(uint32_t raw_size, dec.U32());
  if (header[0] != 0x1f || header[1] != 0x8b || header[2] != 8 || header[3] != 0)
    return dec.Error("not a plain gzip header");
  if (level < 1 || level > 9 || mem < 1 || mem > 9) return dec.Error("bad zlib parameters");
  if (raw_size > kMaxPatchInput) return dec.Error("decompressed size above the patch limit");
  ByteSpan zpatch = patch.subspan(kHeader + 2 + 4);
  LARCH_ASSIGN_OR_RETURN(Bytes raw_base, Gunzip(base));
  LARCH_ASSIGN_OR_RETURN(Bytes raw, ZstdPatchApply(raw_base, zpatch, raw_size));
  LARCH_ASSIGN_OR_RETURN(Bytes out, Gzip(header, raw, level, mem));
  if (out.size() != target_size)
    return Status::Corruption("gzip patch: recompressed to " + std::to_string(out.size()) +
                              " bytes, the object has " + std::to_string(target_size));
  return out;
}

}  // namespace larch::delta
