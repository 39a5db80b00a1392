// File: repo/delta/part_compression.h
//
// How a part file is compressed, both ways. The generator compresses each
// part with zstd and with xz (part_zstd.h, part_xz.h) and keeps the smaller:
// where files have bases, zstd's patches are already entropy-coded and the
// two are close; where nothing has a base (new packages), LZMA2 with a
// branch filter for machine code wins by 10% or more. The choice is recorded
// per part in the signed superblock (PartInfo::compression), and OpenPart
// is the applier's one entry point: it runs the strict decoder of that kind
// and refuses any other.
#pragma once

#include <memory>

#include "repo/delta/byte_source.h"
#include "repo/delta/limits.h"
#include "repo/delta/part_content.h"
#include "repo/delta/superblock.h"

namespace larch::delta {

struct CompressedPart {
  PartCompression compression = PartCompression::kZstd;
  Bytes bytes;
};

// The smaller of zstd at `level` and (when `allow_xz`) xz with a dictionary
// of at most `max_xz_dict`; zstd on a tie, since every Larch decodes it.
Result<CompressedPart> CompressPart(ByteSpan raw, int level, PartContent content, bool allow_xz,
                                    uint32_t max_xz_dict = kMaxXzDict);

// A ByteSource of the part's uncompressed bytes: exactly
// info.uncompressed_size of them, from one stream of info.compression.
// `compressed` must outlive it.
Result<std::unique_ptr<ByteSource>> OpenPart(ByteSource& compressed, const PartInfo& info);

}  // namespace larch::delta
