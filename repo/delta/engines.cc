// File: repo/delta/engines.cc
#include "repo/delta/engines.h"

#include <algorithm>

#include "repo/delta/bsdiff.h"
#include "repo/delta/gzip_patch.h"
#include "repo/delta/zstd_patch.h"
#include "src/compress/zstd_stream.h"

namespace larch::delta {

Result<std::vector<PatchCandidate>> MakePatches(ByteSpan base, ByteSpan target) {
  std::vector<PatchCandidate> out;
  LARCH_ASSIGN_OR_RETURN(Bytes zpatch, ZstdPatchCreate(base, target));
  // Already compressed: the part's compression will not shrink it.
  uint64_t zsize = zpatch.size();
  out.push_back({OpKind::kPatchZstd, std::move(zpatch), zsize});
  Result<Bytes> bpatch = BsdiffCreate(base, target);
  if (bpatch.ok()) {
    // Stored raw and compressed with the part: estimate with the part's level.
    LARCH_ASSIGN_OR_RETURN(Bytes z, compress::ZstdCompress(*bpatch, kPartLevel));
    out.push_back({OpKind::kPatchBsdiff, std::move(bpatch).value(), z.size()});
  } else if (bpatch.status().code() != StatusCode::kUnsupported) {
    return bpatch.status();
  }
  Result<Bytes> gpatch = GzipPatchCreate(base, target);
  if (gpatch.ok()) {
    uint64_t gsize = gpatch->size();  // its inner patch is already compressed
    out.push_back({OpKind::kPatchGzip, std::move(gpatch).value(), gsize});
  } else if (gpatch.status().code() != StatusCode::kUnsupported) {
    return gpatch.status();
  }
  std::stable_sort(out.begin(), out.end(), [](const PatchCandidate& a, const PatchCandidate& b) {
    return a.wire_estimate < b.wire_estimate;
  });
  return out;
}

Result<uint64_t> NewObjectEstimate(ByteSpan target) {
  LARCH_ASSIGN_OR_RETURN(Bytes z, compress::ZstdCompress(target, kPartLevel));
  return z.size();
}

Result<Bytes> ApplyPatch(OpKind engine, ByteSpan base, ByteSpan patch, size_t target_size) {
  switch (engine) {
    case OpKind::kPatchZstd: return ZstdPatchApply(base, patch, target_size);
    case OpKind::kPatchBsdiff: return BsdiffApply(base, patch, target_size);
    case OpKind::kPatchGzip: return GzipPatchApply(base, patch, target_size);
    default: return Status::InvalidArgument("not a patch operation");
  }
}

}  // namespace larch::delta
