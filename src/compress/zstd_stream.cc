// File: src/compress/zstd_stream.cc
// zstd with Larch's rules on top. One-shot decompression is a wrapper over
// the stream, so the output limit and truncation checks live in one code
// path (the one fuzz_zstd exercises).
#include "src/compress/zstd_stream.h"

#include "src/compress/zstd_dict.h"

// ZSTD_estimateCCtxSize_usingCParams is in zstd's advanced API (exported by
// the shared library since 1.4; Debian 12 ships 1.5.4).
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include <algorithm>
#include <string>

namespace larch::compress {

namespace {

// Accepts every frame our compressor writes (the largest window, level
// 22's, is 2^27 bytes) and nothing larger: a hostile frame header cannot
// make the decoder allocate a bigger window.
constexpr int kMaxWindowLog = 27;

// Reservation cap for one-shot decompression: a frame may declare any
// content size, and trusting it up to the caller's limit would let a tiny
// input reserve that much memory before any byte is decoded.
constexpr uint64_t kMaxReserve = 64u << 20;

// Largest frame header the zstd format allows (ZSTD_FRAMEHEADERSIZE_MAX,
// which zstd.h only offers in its unstable static-linking section).
constexpr size_t kMaxFrameHeader = 18;

std::string ZstdMessage(std::string_view what, size_t code) {
  std::string msg = "zstd: ";
  msg += what;
  msg += ": ";
  msg += ZSTD_getErrorName(code);
  return msg;
}

// Decompression errors mean bad input; compression errors cannot (any bytes
// compress), so they are reported as internal failures instead.
Status ZstdError(std::string_view what, size_t code) {
  return Status::Corruption(ZstdMessage(what, code));
}
Status ZstdInternalError(std::string_view what, size_t code) {
  return Status::IoError(ZstdMessage(what, code));
}

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};
using CCtxPtr = std::unique_ptr<ZSTD_CCtx, CCtxDeleter>;
using DCtxPtr = std::unique_ptr<ZSTD_DCtx, DCtxDeleter>;

Result<CCtxPtr> MakeCCtx(int level, int threads) {
  CCtxPtr cctx(ZSTD_createCCtx());
  if (!cctx) return Status::IoError("zstd: cannot allocate compression context");
  // Out-of-range levels are clamped by zstd itself.
  size_t rc = ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level);
  if (ZSTD_isError(rc)) return Status::InvalidArgument("zstd: bad compression level");
  if (threads > 1) {
    // Threads only change speed, never validity: a libzstd built without
    // multithreading refuses the parameter, and one thread still produces
    // a correct frame, so the error is deliberately ignored.
    (void)ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_nbWorkers, threads);
  }
  return cctx;
}

Status RefDictionary(ZSTD_CCtx* cctx, const ZstdDictionary* dict) {
  size_t rc = ZSTD_CCtx_refCDict(cctx, dict->cdict());
  if (ZSTD_isError(rc)) return ZstdInternalError("dictionary", rc);
  return Status::Ok();
}

}  // namespace

// --- Compression ---

struct ZstdCompressStream::Impl {
  CCtxPtr cctx;
  Sink sink;
  Bytes buffer;
  bool finished = false;

  // Feeds `data` with `mode` until zstd has consumed it and (for flush/end)
  // written everything out.
  Status Drive(ByteSpan data, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    for (;;) {
      ZSTD_outBuffer out{buffer.data(), buffer.size(), 0};
      size_t rc = ZSTD_compressStream2(cctx.get(), &out, &in, mode);
      if (ZSTD_isError(rc)) return ZstdInternalError("compress", rc);
      if (out.pos > 0) LARCH_RETURN_IF_ERROR(sink(ByteSpan(buffer.data(), out.pos)));
      const bool input_done = in.pos == in.size;
      if (mode == ZSTD_e_continue ? input_done : (input_done && rc == 0)) return Status::Ok();
    }
  }
};

Result<std::unique_ptr<ZstdCompressStream>> ZstdCompressStream::Create(
    int level, int threads, Sink sink, const ZstdDictionary* dict) {
  LARCH_ASSIGN_OR_RETURN(CCtxPtr cctx, MakeCCtx(level, threads));
  if (dict != nullptr) LARCH_RETURN_IF_ERROR(RefDictionary(cctx.get(), dict));
  std::unique_ptr<ZstdCompressStream> stream(new ZstdCompressStream());
  stream->impl_ = std::make_unique<Impl>();
  stream->impl_->cctx = std::move(cctx);
  stream->impl_->sink = std::move(sink);
  stream->impl_->buffer.resize(ZSTD_CStreamOutSize());
  return stream;
}

ZstdCompressStream::~ZstdCompressStream() = default;

Status ZstdCompressStream::Write(ByteSpan data) {
  if (impl_->finished) return Status::InvalidArgument("zstd: write after finish");
  return impl_->Drive(data, ZSTD_e_continue);
}

Status ZstdCompressStream::Finish() {
  if (impl_->finished) return Status::InvalidArgument("zstd: finish called twice");
  impl_->finished = true;
  return impl_->Drive({}, ZSTD_e_end);
}

// Creating a context costs more than compressing a small file (its tables
// are allocated and freed each time), so each thread keeps one for one-shot
// compression and resets it per call.
static Result<ZSTD_CCtx*> ThreadCCtx(int level, int threads) {
  thread_local CCtxPtr cached;
  if (!cached) {
    LARCH_ASSIGN_OR_RETURN(cached, MakeCCtx(level, threads));
    return cached.get();
  }
  ZSTD_CCtx_reset(cached.get(), ZSTD_reset_session_and_parameters);
  size_t rc = ZSTD_CCtx_setParameter(cached.get(), ZSTD_c_compressionLevel, level);
  if (ZSTD_isError(rc)) return Status::InvalidArgument("zstd: bad compression level");
  if (threads > 1) (void)ZSTD_CCtx_setParameter(cached.get(), ZSTD_c_nbWorkers, threads);
  return cached.get();
}

// Inputs above this get a context of their own, freed after the call: the
// tables zstd sizes to a bigger input (7 MiB at level 7 for 1 MiB, against
// about 1 MiB up to 128 KiB) would otherwise stay with the thread's cached
// context for as long as the thread lives, one per worker of an applier
// that also streams a big patch.
constexpr size_t kCachedContextInput = 128u << 10;

uint64_t ZstdCompressMemory(int level, uint64_t size) {
  return ZSTD_estimateCCtxSize_usingCParams(ZSTD_getCParams(level, size, 0));
}

Result<Bytes> ZstdCompress(ByteSpan data, int level, int threads, const ZstdDictionary* dict) {
  CCtxPtr own;
  ZSTD_CCtx* cctx = nullptr;
  if (data.size() > kCachedContextInput) {
    LARCH_ASSIGN_OR_RETURN(own, MakeCCtx(level, threads));
    cctx = own.get();
  } else {
    LARCH_ASSIGN_OR_RETURN(cctx, ThreadCCtx(level, threads));
  }
  if (dict != nullptr) LARCH_RETURN_IF_ERROR(RefDictionary(cctx, dict));
  // ZSTD_compress2 records the content size in the frame header, so
  // decoders can size buffers exactly and detect a frame whose content does
  // not match; compressBound makes a too-small output buffer impossible.
  Bytes out(ZSTD_compressBound(data.size()));
  size_t rc = ZSTD_compress2(cctx, out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(rc)) return ZstdInternalError("compress", rc);
  out.resize(rc);
  return out;
}

// --- Decompression ---

struct ZstdDecompressStream::Impl {
  DCtxPtr dctx;
  Sink sink;
  Bytes buffer;
  uint64_t max_output = 0;
  uint64_t output_bytes = 0;
  bool saw_input = false;
  bool in_frame = false;  // a frame has started and not yet ended
  Bytes frame_head;       // the current frame's first bytes (its header)
  uint64_t frame_output = 0;
  bool finished = false;
  Status failed;  // sticky: a stream that failed once stays failed

  Status Emit(size_t n) {
    if (n > max_output - output_bytes) {
      return Status::Corruption("zstd: decompressed data exceeds " + std::to_string(max_output) +
                                " bytes");
    }
    output_bytes += n;
    return sink(ByteSpan(buffer.data(), n));
  }

  // Only current zstd frames and skippable frames. libzstd may be built to
  // also decode pre-1.0 "legacy" formats, which Larch never writes: they
  // would only widen what hostile input can reach, and libzstd recognises
  // them only when a whole header arrives in one piece.
  static Status CheckMagic(ByteSpan head) {
    const uint32_t magic = static_cast<uint32_t>(head[0]) | static_cast<uint32_t>(head[1]) << 8 |
                           static_cast<uint32_t>(head[2]) << 16 |
                           static_cast<uint32_t>(head[3]) << 24;
    if (magic == ZSTD_MAGICNUMBER ||
        (magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START) {
      return Status::Ok();
    }
    return Status::Corruption("zstd: not a zstd frame (magic " + std::to_string(magic) + ")");
  }

  // libzstd (1.5.4) checks a frame's declared content size only when it
  // decodes the frame in one pass; fed in pieces, a frame that promises 41
  // bytes and yields none is accepted. Larch checks it itself, so the result
  // never depends on how the input was split.
  Status TrackFrame(ByteSpan consumed, size_t produced, size_t rc) {
    if (!in_frame) {
      frame_head.clear();
      frame_output = 0;
    }
    const size_t keep = std::min(consumed.size(), kMaxFrameHeader - frame_head.size());
    frame_head.insert(frame_head.end(), consumed.begin(), consumed.begin() + keep);
    if (frame_head.size() >= 4 && frame_head.size() - keep < 4) {
      LARCH_RETURN_IF_ERROR(CheckMagic(frame_head));
    }
    frame_output += produced;
    in_frame = rc != 0;
    if (in_frame) return Status::Ok();
    // The frame is complete, so frame_head holds at least its header.
    // Skippable frames report 0, which is what they produce.
    const unsigned long long declared =
        ZSTD_getFrameContentSize(frame_head.data(), frame_head.size());
    if (declared == ZSTD_CONTENTSIZE_ERROR) return Status::Corruption("zstd: bad frame header");
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != frame_output) {
      return Status::Corruption("zstd: frame declares " + std::to_string(declared) +
                                " bytes but holds " + std::to_string(frame_output));
    }
    return Status::Ok();
  }

  Status Decode(ByteSpan data) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    for (;;) {
      ZSTD_outBuffer out{buffer.data(), buffer.size(), 0};
      const size_t in_before = in.pos;
      // Each frame's first byte goes in alone. libzstd decodes a frame that
      // arrives whole in one call with a separate one-pass decoder, whose
      // checks differ from the streaming one (e.g. on empty RLE blocks), so
      // acceptance would depend on how callers chunk their writes. Priming
      // one byte keeps every frame on the streaming path.
      ZSTD_inBuffer view = in;
      if (!in_frame && in.pos < in.size) view.size = in.pos + 1;
      size_t rc = ZSTD_decompressStream(dctx.get(), &out, &view);
      in.pos = view.pos;
      if (ZSTD_isError(rc)) return ZstdError("decompress", rc);
      // A call that neither consumed nor produced anything says nothing
      // about frame boundaries (zstd then just asks for the next header).
      // zstd returns at each frame's end, so one call never spans two.
      if (in.pos != in_before || out.pos > 0) {
        LARCH_RETURN_IF_ERROR(TrackFrame(data.subspan(in_before, in.pos - in_before), out.pos, rc));
      }
      if (out.pos > 0) LARCH_RETURN_IF_ERROR(Emit(out.pos));
      // A full output buffer may mean more output is pending inside zstd.
      if (in.pos == in.size && (out.pos < out.size || rc == 0)) return Status::Ok();
    }
  }
};

Result<std::unique_ptr<ZstdDecompressStream>> ZstdDecompressStream::Create(
    uint64_t max_output, Sink sink, const ZstdDictionary* dict) {
  DCtxPtr dctx(ZSTD_createDCtx());
  if (!dctx) return Status::IoError("zstd: cannot allocate decompression context");
  size_t rc = ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, kMaxWindowLog);
  if (ZSTD_isError(rc)) return ZstdInternalError("window limit", rc);
  if (dict != nullptr) {
    rc = ZSTD_DCtx_refDDict(dctx.get(), dict->ddict());
    if (ZSTD_isError(rc)) return ZstdInternalError("dictionary", rc);
  }
  std::unique_ptr<ZstdDecompressStream> stream(new ZstdDecompressStream());
  stream->impl_ = std::make_unique<Impl>();
  stream->impl_->dctx = std::move(dctx);
  stream->impl_->sink = std::move(sink);
  stream->impl_->buffer.resize(ZSTD_DStreamOutSize());
  stream->impl_->max_output = max_output;
  return stream;
}

ZstdDecompressStream::~ZstdDecompressStream() = default;

Status ZstdDecompressStream::Write(ByteSpan compressed) {
  if (impl_->finished) return Status::InvalidArgument("zstd: write after finish");
  if (!impl_->failed.ok()) return impl_->failed;
  if (compressed.empty()) return Status::Ok();
  impl_->saw_input = true;
  Status s = impl_->Decode(compressed);
  if (!s.ok()) impl_->failed = s;
  return s;
}

Status ZstdDecompressStream::Finish() {
  if (impl_->finished) return Status::InvalidArgument("zstd: finish called twice");
  impl_->finished = true;
  if (!impl_->failed.ok()) return impl_->failed;
  // An empty input is a truncated object too (e.g. an archive file object
  // cut right after its header), not an empty file: empty content is still
  // one frame.
  if (!impl_->saw_input) return Status::Corruption("zstd: no frame in input");
  if (impl_->in_frame) return Status::Corruption("zstd: truncated frame");
  return Status::Ok();
}

uint64_t ZstdDecompressStream::output_bytes() const { return impl_->output_bytes; }

Result<Bytes> ZstdDecompress(ByteSpan data, uint64_t max_output) {
  Bytes out;
  unsigned long long declared = ZSTD_getFrameContentSize(data.data(), data.size());
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR) {
    out.reserve(static_cast<size_t>(std::min<uint64_t>({declared, max_output, kMaxReserve})));
  }
  Sink append = [&out](ByteSpan chunk) {
    out.insert(out.end(), chunk.begin(), chunk.end());
    return Status::Ok();
  };
  LARCH_ASSIGN_OR_RETURN(auto stream, ZstdDecompressStream::Create(max_output, append));
  LARCH_RETURN_IF_ERROR(stream->Write(data));
  LARCH_RETURN_IF_ERROR(stream->Finish());
  return out;
}

}  // namespace larch::compress
