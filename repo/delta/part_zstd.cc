// File: repo/delta/part_zstd.cc
#include "repo/delta/part_zstd.h"

#include <zstd.h>

#include <string>

#include "repo/delta/limits.h"

namespace larch::delta {

namespace {

Status Internal(size_t rc, const char* what) {
  if (!ZSTD_isError(rc)) return Status::Ok();
  return Status::IoError(std::string("part compression: ") + what + ": " + ZSTD_getErrorName(rc));
}

Status Bad(const std::string& msg) { return Status::Corruption("delta part: " + msg); }

constexpr size_t kInChunk = 64 << 10;

}  // namespace

Result<Bytes> CompressPartZstd(ByteSpan raw, int level) {
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  if (!cctx) return Status::IoError("part compression: no context");
  LARCH_RETURN_IF_ERROR(Internal(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level), "level"));
  LARCH_RETURN_IF_ERROR(Internal(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_windowLog, kPartWindowLog), "window"));
  LARCH_RETURN_IF_ERROR(Internal(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_enableLongDistanceMatching, 1), "ldm"));
  Bytes out(ZSTD_compressBound(raw.size()));
  size_t n = ZSTD_compress2(cctx.get(), out.data(), out.size(), raw.data(), raw.size());
  LARCH_RETURN_IF_ERROR(Internal(n, "compress"));
  out.resize(n);
  return out;
}

namespace {

struct State {
  ByteSource* src = nullptr;
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx{nullptr, ZSTD_freeDCtx};
  Bytes in;
  ZSTD_inBuffer in_buf{nullptr, 0, 0};
  uint64_t expected = 0;
  uint64_t produced = 0;
  bool started = false;
  bool frame_done = false;
};

class ZstdPartDecoder : public ByteSource {
 public:
  Status Init(ByteSource& compressed, uint64_t expected_size);
  Result<size_t> Read(MutableByteSpan buf) override;

 private:
  Status Fill();
  State m_;
};

Status ZstdPartDecoder::Init(ByteSource& compressed, uint64_t expected_size) {
  m_.src = &compressed;
  m_.expected = expected_size;
  m_.dctx.reset(ZSTD_createDCtx());
  if (!m_.dctx) return Status::IoError("part decompression: no context");
  // The window bounds the decoder's memory; our parts never need more.
  LARCH_RETURN_IF_ERROR(Internal(ZSTD_DCtx_setParameter(m_.dctx.get(), ZSTD_d_windowLogMax,
                                                        kPartWindowLog), "window"));
  m_.in.resize(kInChunk);
  return Status::Ok();
}

// Pulls the next chunk of compressed input; the first must open a zstd
// frame (no skippable or legacy frames: we never write them).
Status ZstdPartDecoder::Fill() {
  State& m = m_;
  LARCH_ASSIGN_OR_RETURN(size_t n, m.src->Read(m.in));
  m.in_buf = {m.in.data(), n, 0};
  if (n == 0) return Status::Ok();
  if (!m.started) {
    m.started = true;
    if (n < 4 || (m.in[0] | m.in[1] << 8 | m.in[2] << 16 | static_cast<uint32_t>(m.in[3]) << 24) !=
                     ZSTD_MAGICNUMBER)
      return Bad("not a zstd frame");
    unsigned long long declared = ZSTD_getFrameContentSize(m.in.data(), n);
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR &&
        declared != m.expected)
      return Bad("frame declares " + std::to_string(declared) + " bytes, the superblock " +
                 std::to_string(m.expected));
  }
  return Status::Ok();
}

Result<size_t> ZstdPartDecoder::Read(MutableByteSpan buf) {
  State& m = m_;
  if (buf.empty()) return size_t{0};
  ZSTD_outBuffer out{buf.data(), buf.size(), 0};
  while (out.pos == 0 && !m.frame_done) {
    if (m.in_buf.pos == m.in_buf.size) {
      LARCH_RETURN_IF_ERROR(Fill());
      if (m.in_buf.size == 0) return Bad("truncated: the zstd frame is incomplete");
    }
    size_t rc = ZSTD_decompressStream(m.dctx.get(), &out, &m.in_buf);
    if (ZSTD_isError(rc)) return Bad(std::string("zstd: ") + ZSTD_getErrorName(rc));
    if (rc == 0) m.frame_done = true;
  }
  m.produced += out.pos;
  if (m.produced > m.expected)
    return Bad("decompresses to more than the " + std::to_string(m.expected) +
               " bytes the superblock declares");
  if (m.frame_done && out.pos == 0) {
    // End of the frame: nothing may follow it, and the size must be exact.
    uint8_t extra;
    LARCH_ASSIGN_OR_RETURN(size_t n, m.src->Read(MutableByteSpan(&extra, 1)));
    if (m.in_buf.pos != m.in_buf.size || n != 0) return Bad("trailing bytes after the zstd frame");
    if (m.produced != m.expected)
      return Bad("decompresses to " + std::to_string(m.produced) + " bytes, the superblock says " +
                 std::to_string(m.expected));
  }
  return out.pos;
}

}  // namespace

Result<std::unique_ptr<ByteSource>> OpenZstdPart(ByteSource& compressed, uint64_t expected_size) {
  auto d = std::make_unique<ZstdPartDecoder>();
  LARCH_RETURN_IF_ERROR(d->Init(compressed, expected_size));
  return std::unique_ptr<ByteSource>(std::move(d));
}

}  // namespace larch::delta
