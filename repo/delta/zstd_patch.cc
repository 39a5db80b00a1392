// File: repo/delta/zstd_patch.cc
#include "repo/delta/zstd_patch.h"

#include <zstd.h>

#include <algorithm>
#include <memory>
#include <string>

#include "repo/delta/limits.h"

namespace larch::delta {

namespace {

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

Status Bad(const std::string& msg) { return Status::Corruption("zstd patch: " + msg); }

// The window must reach from the end of the target back to the start of
// the base, or matches into the base's beginning are lost.
int WindowLogFor(size_t bytes) {
  int log = 10;  // zstd's smallest window
  while (log < 27 && (size_t{1} << log) < bytes) ++log;
  return log;
}

Status Check(size_t rc, const char* what) {
  if (ZSTD_isError(rc))
    return Status::IoError(std::string("zstd patch: ") + what + ": " + ZSTD_getErrorName(rc));
  return Status::Ok();
}

}  // namespace

Result<Bytes> ZstdPatchCreate(ByteSpan base, ByteSpan target, int level) {
  std::unique_ptr<ZSTD_CCtx, CCtxFree> cctx(ZSTD_createCCtx());
  if (!cctx) return Status::IoError("zstd patch: cannot allocate a context");
  LARCH_RETURN_IF_ERROR(Check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level), "level"));
  LARCH_RETURN_IF_ERROR(Check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_windowLog,
                                                     WindowLogFor(base.size() + target.size())),
                              "window"));
  LARCH_RETURN_IF_ERROR(Check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_enableLongDistanceMatching, 1), "ldm"));
  LARCH_RETURN_IF_ERROR(Check(ZSTD_CCtx_refPrefix(cctx.get(), base.data(), base.size()), "prefix"));
  Bytes out(ZSTD_compressBound(target.size()));
  size_t n = ZSTD_compress2(cctx.get(), out.data(), out.size(), target.data(), target.size());
  LARCH_RETURN_IF_ERROR(Check(n, "compress"));
  out.resize(n);
  return out;
}

Result<Bytes> ZstdPatchApply(ByteSpan base, ByteSpan patch, size_t target_size) {
  if (patch.size() < 4 ||
      (patch[0] | patch[1] << 8 | patch[2] << 16 | static_cast<uint32_t>(patch[3]) << 24) !=
          ZSTD_MAGICNUMBER)
    return Bad("not a zstd frame");
  if (ZSTD_findFrameCompressedSize(patch.data(), patch.size()) != patch.size())
    return Bad("not exactly one frame");
  unsigned long long declared = ZSTD_getFrameContentSize(patch.data(), patch.size());
  if (declared != target_size)
    return Bad("frame declares " + std::to_string(declared) + " bytes, the object has " +
               std::to_string(target_size));
  // Checked before the output is allocated: the frame's declared size is
  // the patch's word, and zstd patches are only made within kMaxPatchInput.
  if (target_size > kMaxPatchInput)
    return Bad("a target of " + std::to_string(target_size) + " bytes is above the patch limit");
  std::unique_ptr<ZSTD_DCtx, DCtxFree> dctx(ZSTD_createDCtx());
  if (!dctx) return Status::IoError("zstd patch: cannot allocate a context");
  // Patches are only made for inputs within kMaxPatchInput; a frame asking
  // for a larger window is not one of ours.
  LARCH_RETURN_IF_ERROR(Check(ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax,
                                                     WindowLogFor(2 * kMaxPatchInput)), "window"));
  LARCH_RETURN_IF_ERROR(Check(ZSTD_DCtx_refPrefix(dctx.get(), base.data(), base.size()), "prefix"));
  Bytes out(target_size);
  size_t n = ZSTD_decompressDCtx(dctx.get(), out.data(), out.size(), patch.data(), patch.size());
  if (ZSTD_isError(n)) return Bad(ZSTD_getErrorName(n));
  if (n != target_size) return Bad("produced " + std::to_string(n) + " bytes");
  return out;
}

}  // namespace larch::delta
