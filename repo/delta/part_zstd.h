// File: repo/delta/part_zstd.h
//
// zstd parts: exactly one zstd frame, level 19 with long-distance matching
// over a window of 2^kPartWindowLog bytes, so similar patches and files in
// one part share a window while a decoder never needs more than that window
// whatever the part's size. OpenZstdPart is the pull side: a ByteSource
// yielding the part's uncompressed bytes that refuses anything but one
// frame of exactly the size the superblock declares.
#pragma once

#include <cstdint>
#include <memory>

#include "repo/delta/byte_source.h"

namespace larch::delta {

Result<Bytes> CompressPartZstd(ByteSpan raw, int level);

// `compressed` must outlive the decoder, which fails on reads past
// `expected_size`.
Result<std::unique_ptr<ByteSource>> OpenZstdPart(ByteSource& compressed, uint64_t expected_size);

}  // namespace larch::delta
