// File: repo/delta/gzip_recipe.h
//
// How a gzip member is rebuilt, bit for bit, from its decompressed content:
// its 10-byte header and the deflate encoder that wrote it (zlib at a level
// and memLevel, or GNU gzip at a level, gnu_deflate.h). The gzip engine
// (patch-gzip) and new-gzip ship a recipe instead of compressed bytes; the
// generator offers one only after rebuilding the member exactly, and the
// applier's hash check of the object stays the final word.
//
// Wire form (docs/formats.md, "gzip recipe"): header (10 bytes: 1f 8b 08,
// flags 0) | u8 mode (1 zlib, 2 GNU gzip) | u8 level (1..9) | u8 memLevel
// (zlib: 1..9; GNU gzip: 0).
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "src/base/bytes.h"
#include "src/base/result.h"
#include "src/encoding/encoding.h"

namespace larch::delta {

inline constexpr size_t kGzipHeaderSize = 10;
inline constexpr size_t kGzipTrailerSize = 8;
inline constexpr size_t kGzipRecipeSize = kGzipHeaderSize + 3;

struct GzipRecipe {
  enum class Mode : uint8_t { kZlib = 1, kGnuGzip = 2 };
  std::array<uint8_t, kGzipHeaderSize> header{};
  Mode mode = Mode::kZlib;
  uint8_t level = 0;
  uint8_t mem_level = 0;
  bool operator==(const GzipRecipe&) const = default;
};

// A member as `gzip -n` or zlib writes it: deflate, no optional fields.
bool IsPlainGzip(ByteSpan gz);
// The first 10 bytes of such a member: 1f 8b 08, flags 0.
bool IsPlainGzipHeader(ByteSpan header);
// The decompressed content of a plain gzip member that is the whole of
// `gz`, checked against its CRC and size; at most `max_output` bytes.
Result<Bytes> Gunzip(ByteSpan gz, uint64_t max_output);

// The recipe that rebuilds `gz` from `raw` (its content), or kUnsupported.
// zlib settings are tried first, then (if `gnu_allowed`) GNU gzip levels;
// each attempt stops at its first differing output byte.
Result<GzipRecipe> FindGzipRecipe(ByteSpan gz, ByteSpan raw, bool gnu_allowed);

// The one strict decoder: kCorruption (through dec.Error) for a header
// that is not a plain gzip header, an unknown mode or levels out of range.
Result<GzipRecipe> DecodeGzipRecipe(encoding::Decoder& dec);
void EncodeGzipRecipe(encoding::Encoder& enc, const GzipRecipe& recipe);
// The recipe's tail alone (mode, level, memLevel) into `recipe`, whose
// header the caller has decoded (patch-gzip keeps its older layout).
Status DecodeGzipEncoder(encoding::Decoder& dec, GzipRecipe& recipe);

// Rebuilds a member as a stream: content in, gzip bytes out (header first,
// CRC-32 and size last). Memory is the encoder's, whatever the size.
class GzipRebuilder {
 public:
  static Result<std::unique_ptr<GzipRebuilder>> Create(const GzipRecipe& recipe);
  ~GzipRebuilder();
  GzipRebuilder(const GzipRebuilder&) = delete;
  GzipRebuilder& operator=(const GzipRebuilder&) = delete;

  Status Write(ByteSpan raw, Bytes* out);
  Status Finish(Bytes* out);

 private:
  struct Encoder;
  explicit GzipRebuilder(std::unique_ptr<Encoder> e);
  std::unique_ptr<Encoder> e_;
};

// The whole member, in memory.
Result<Bytes> RebuildGzip(const GzipRecipe& recipe, ByteSpan raw);

}  // namespace larch::delta
