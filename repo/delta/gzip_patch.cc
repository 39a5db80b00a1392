// File: repo/delta/gzip_patch.cc
#include "repo/delta/gzip_patch.h"

#include <algorithm>
#include <string>

#include "repo/delta/gzip_recipe.h"
#include "repo/delta/limits.h"
#include "repo/delta/zstd_patch.h"
#include "src/encoding/encoding.h"

namespace larch::delta {

namespace {

// Marks the long form: no zlib level is 0.
constexpr uint8_t kRecipeFollows = 0;

void EncodeRecipe(encoding::Encoder& enc, const GzipRecipe& r) {
  enc.Raw(r.header);
  if (r.mode == GzipRecipe::Mode::kZlib) {
    enc.U8(r.level);
    enc.U8(r.mem_level);
    return;
  }
  enc.U8(kRecipeFollows);
  enc.U8(static_cast<uint8_t>(r.mode));
  enc.U8(r.level);
  enc.U8(r.mem_level);
}

Result<GzipRecipe> DecodeRecipe(encoding::Decoder& dec) {
  GzipRecipe r;
  LARCH_ASSIGN_OR_RETURN(ByteSpan header, dec.Raw(kGzipHeaderSize));
  if (!IsPlainGzipHeader(header)) return dec.Error("not a plain gzip header");
  std::copy(header.begin(), header.end(), r.header.begin());
  LARCH_ASSIGN_OR_RETURN(uint8_t first, dec.U8());
  if (first == kRecipeFollows) {
    LARCH_RETURN_IF_ERROR(DecodeGzipEncoder(dec, r));
    if (r.mode == GzipRecipe::Mode::kZlib) return dec.Error("zlib recipe in the long form");
    return r;
  }
  r.level = first;
  LARCH_ASSIGN_OR_RETURN(r.mem_level, dec.U8());
  if (r.level > 9 || r.mem_level < 1 || r.mem_level > 9) return dec.Error("bad zlib parameters");
  return r;
}

}  // namespace

Result<Bytes> GzipPatchCreate(ByteSpan base, ByteSpan target, bool gnu_allowed) {
  if (!IsPlainGzip(base) || !IsPlainGzip(target))
    return Status::Unsupported("gzip patch: not plain gzip members");
  Result<Bytes> raw_base = Gunzip(base, kMaxPatchInput);
  Result<Bytes> raw_target = Gunzip(target, kMaxPatchInput);
  if (!raw_base.ok() || !raw_target.ok()) return Status::Unsupported("gzip patch: does not inflate");
  LARCH_ASSIGN_OR_RETURN(GzipRecipe recipe, FindGzipRecipe(target, *raw_target, gnu_allowed));
  LARCH_ASSIGN_OR_RETURN(Bytes zpatch, ZstdPatchCreate(*raw_base, *raw_target));
  encoding::Encoder enc;
  EncodeRecipe(enc, recipe);
  enc.U32(static_cast<uint32_t>(raw_target->size()));
  enc.Raw(zpatch);
  return enc.Take();
}

Result<Bytes> GzipPatchApply(ByteSpan base, ByteSpan patch, size_t target_size) {
  encoding::Decoder dec(patch, "gzip patch");
  LARCH_ASSIGN_OR_RETURN(GzipRecipe recipe, DecodeRecipe(dec));
  LARCH_ASSIGN_OR_RETURN(uint32_t raw_size, dec.U32());
  if (raw_size > kMaxPatchInput) return dec.Error("decompressed size above the patch limit");
  ByteSpan zpatch = patch.subspan(patch.size() - dec.remaining());
  Result<Bytes> raw_base = Gunzip(base, kMaxPatchInput);
  if (!raw_base.ok()) return Status::Corruption("gzip patch: base: " + raw_base.status().message());
  LARCH_ASSIGN_OR_RETURN(Bytes raw, ZstdPatchApply(*raw_base, zpatch, raw_size));
  LARCH_ASSIGN_OR_RETURN(Bytes out, RebuildGzip(recipe, raw));
  if (out.size() != target_size)
    return Status::Corruption("gzip patch: recompressed to " + std::to_string(out.size()) +
                              " bytes, the object has " + std::to_string(target_size));
  return out;
}

}  // namespace larch::delta
