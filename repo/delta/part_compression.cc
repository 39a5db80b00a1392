// File: repo/delta/part_compression.cc
#include "repo/delta/part_compression.h"

#include "repo/delta/part_xz.h"
#include "repo/delta/part_zstd.h"

namespace larch::delta {

Result<CompressedPart> CompressPart(ByteSpan raw, int level, PartContent content, bool allow_xz,
                                    uint32_t max_xz_dict) {
  CompressedPart best;
  LARCH_ASSIGN_OR_RETURN(best.bytes, CompressPartZstd(raw, level));
  if (!allow_xz) return best;
  LARCH_ASSIGN_OR_RETURN(Bytes xz, CompressPartXz(raw, content, max_xz_dict));
  if (xz.size() < best.bytes.size()) best = {PartCompression::kXz, std::move(xz)};
  return best;
}

Result<std::unique_ptr<ByteSource>> OpenPart(ByteSource& compressed, const PartInfo& info) {
  switch (info.compression) {
    case PartCompression::kZstd: return OpenZstdPart(compressed, info.uncompressed_size);
    case PartCompression::kXz: return OpenXzPart(compressed, info.uncompressed_size);
  }
  return Status::Corruption("delta part: unknown compression " +
                            std::to_string(static_cast<int>(info.compression)));
}

}  // namespace larch::delta
