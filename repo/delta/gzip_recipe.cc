// File: repo/delta/gzip_recipe.cc
#include "repo/delta/gzip_recipe.h"

#include <algorithm>
#include <string>

#include "repo/delta/gnu_deflate.h"
#include "repo/delta/zlib_raw.h"

namespace larch::delta {

namespace {

constexpr size_t kChunk = 64 << 10;

uint32_t Le32(ByteSpan b) {
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}

void PutLe32(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// zlib settings worth trying, most likely first (`gzip -9` is Debian's).
constexpr std::pair<int, int> kZlibSettings[] = {{9, 8}, {9, 9}, {6, 8}, {6, 9}};
// GNU gzip levels, most likely first (dh_compress uses -9).
constexpr int kGnuLevels[] = {9, 6, 1, 2, 3, 4, 5, 7, 8};

// Whether the recipe's encoder turns `raw` into `gz`, comparing as the
// output comes so a wrong recipe costs about one deflate block.
Result<bool> Rebuilds(const GzipRecipe& recipe, ByteSpan raw, ByteSpan gz) {
  LARCH_ASSIGN_OR_RETURN(std::unique_ptr<GzipRebuilder> rebuilder, GzipRebuilder::Create(recipe));
  size_t matched = 0;
  Bytes out;
  auto same_so_far = [&] {
    bool same = out.size() <= gz.size() - matched &&
                std::equal(out.begin(), out.end(), gz.begin() + static_cast<ptrdiff_t>(matched));
    matched += out.size();
    out.clear();
    return same;
  };
  for (size_t at = 0; at < raw.size(); at += kChunk) {
    LARCH_RETURN_IF_ERROR(rebuilder->Write(raw.subspan(at, std::min(kChunk, raw.size() - at)), &out));
    if (!same_so_far()) return false;
  }
  LARCH_RETURN_IF_ERROR(rebuilder->Finish(&out));
  return same_so_far() && matched == gz.size();
}

}  // namespace

bool IsPlainGzipHeader(ByteSpan h) {
  return h.size() >= kGzipHeaderSize && h[0] == 0x1f && h[1] == 0x8b && h[2] == 8 && h[3] == 0;
}

bool IsPlainGzip(ByteSpan gz) {
  return gz.size() >= kGzipHeaderSize + kGzipTrailerSize && IsPlainGzipHeader(gz);
}

Result<Bytes> Gunzip(ByteSpan gz, uint64_t max_output) {
  if (!IsPlainGzip(gz)) return Status::Corruption("gzip: not a plain gzip member");
  ByteSpan body = gz.subspan(kGzipHeaderSize, gz.size() - kGzipHeaderSize - kGzipTrailerSize);
  LARCH_ASSIGN_OR_RETURN(Bytes raw, RawInflate(body, static_cast<size_t>(max_output)));
  ByteSpan trailer = gz.subspan(gz.size() - kGzipTrailerSize);
  if (Crc32Update(0, raw) != Le32(trailer) || static_cast<uint32_t>(raw.size()) != Le32(trailer.subspan(4)))
    return Status::Corruption("gzip: content fails its CRC");
  return raw;
}

Result<GzipRecipe> FindGzipRecipe(ByteSpan gz, ByteSpan raw, bool gnu_allowed) {
  if (!IsPlainGzip(gz)) return Status::Unsupported("gzip: not a plain gzip member");
  GzipRecipe recipe;
  std::copy_n(gz.begin(), kGzipHeaderSize, recipe.header.begin());
  for (auto [level, mem] : kZlibSettings) {
    recipe.mode = GzipRecipe::Mode::kZlib;
    recipe.level = static_cast<uint8_t>(level);
    recipe.mem_level = static_cast<uint8_t>(mem);
    LARCH_ASSIGN_OR_RETURN(bool same, Rebuilds(recipe, raw, gz));
    if (same) return recipe;
  }
  if (gnu_allowed) {
    for (int level : kGnuLevels) {
      recipe.mode = GzipRecipe::Mode::kGnuGzip;
      recipe.level = static_cast<uint8_t>(level);
      recipe.mem_level = 0;
      LARCH_ASSIGN_OR_RETURN(bool same, Rebuilds(recipe, raw, gz));
      if (same) return recipe;
    }
  }
  return Status::Unsupported("gzip: no known encoder reproduces the member");
}

Result<GzipRecipe> DecodeGzipRecipe(encoding::Decoder& dec) {
  GzipRecipe r;
  LARCH_ASSIGN_OR_RETURN(ByteSpan header, dec.Raw(kGzipHeaderSize));
  if (!IsPlainGzipHeader(header)) return dec.Error("not a plain gzip header");
  std::copy(header.begin(), header.end(), r.header.begin());
  LARCH_RETURN_IF_ERROR(DecodeGzipEncoder(dec, r));
  return r;
}

Status DecodeGzipEncoder(encoding::Decoder& dec, GzipRecipe& r) {
  LARCH_ASSIGN_OR_RETURN(uint8_t mode, dec.U8());
  LARCH_ASSIGN_OR_RETURN(r.level, dec.U8());
  LARCH_ASSIGN_OR_RETURN(r.mem_level, dec.U8());
  if (mode != 1 && mode != 2) return dec.Error("unknown gzip mode " + std::to_string(mode));
  r.mode = static_cast<GzipRecipe::Mode>(mode);
  if (r.level < 1 || r.level > 9) return dec.Error("gzip level out of range");
  bool zlib = r.mode == GzipRecipe::Mode::kZlib;
  if (zlib ? (r.mem_level < 1 || r.mem_level > 9) : r.mem_level != 0)
    return dec.Error(zlib ? "zlib memLevel out of range" : "GNU gzip takes no memLevel");
  return Status::Ok();
}

void EncodeGzipRecipe(encoding::Encoder& enc, const GzipRecipe& recipe) {
  enc.Raw(recipe.header);
  enc.U8(static_cast<uint8_t>(recipe.mode));
  enc.U8(recipe.level);
  enc.U8(recipe.mem_level);
}

// One of the two encoders, plus the running CRC and size for the trailer.
struct GzipRebuilder::Encoder {
  GzipRecipe recipe;
  std::unique_ptr<RawDeflater> zlib;
  std::unique_ptr<GnuDeflate> gnu;
  uint32_t crc = 0;
  uint32_t size = 0;  // modulo 2^32, as gzip records it
  bool header_sent = false;

  void SendHeader(Bytes* out) {
    if (header_sent) return;
    out->insert(out->end(), recipe.header.begin(), recipe.header.end());
    header_sent = true;
  }
};

GzipRebuilder::GzipRebuilder(std::unique_ptr<Encoder> e) : e_(std::move(e)) {}
GzipRebuilder::~GzipRebuilder() = default;

Result<std::unique_ptr<GzipRebuilder>> GzipRebuilder::Create(const GzipRecipe& recipe) {
  auto e = std::make_unique<Encoder>();
  e->recipe = recipe;
  if (recipe.mode == GzipRecipe::Mode::kZlib) {
    LARCH_ASSIGN_OR_RETURN(e->zlib, RawDeflater::Create(recipe.level, recipe.mem_level));
  } else if (IsGnuGzipLevel(recipe.level)) {
    e->gnu = std::make_unique<GnuDeflate>(recipe.level);
  } else {
    return Status::InvalidArgument("gzip: bad GNU gzip level");
  }
  return std::unique_ptr<GzipRebuilder>(new GzipRebuilder(std::move(e)));
}

Status GzipRebuilder::Write(ByteSpan raw, Bytes* out) {
  e_->SendHeader(out);
  e_->crc = Crc32Update(e_->crc, raw);
  e_->size += static_cast<uint32_t>(raw.size());
  if (e_->zlib) return e_->zlib->Write(raw, out);
  e_->gnu->Write(raw, out);
  return Status::Ok();
}

Status GzipRebuilder::Finish(Bytes* out) {
  e_->SendHeader(out);
  if (e_->zlib) {
    LARCH_RETURN_IF_ERROR(e_->zlib->Finish(out));
  } else {
    e_->gnu->Finish(out);
  }
  PutLe32(*out, e_->crc);
  PutLe32(*out, e_->size);
  return Status::Ok();
}

Result<Bytes> RebuildGzip(const GzipRecipe& recipe, ByteSpan raw) {
  LARCH_ASSIGN_OR_RETURN(std::unique_ptr<GzipRebuilder> rebuilder, GzipRebuilder::Create(recipe));
  Bytes out;
  LARCH_RETURN_IF_ERROR(rebuilder->Write(raw, &out));
  LARCH_RETURN_IF_ERROR(rebuilder->Finish(&out));
  return out;
}

}  // namespace larch::delta
