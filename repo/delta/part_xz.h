// File: repo/delta/part_xz.h
//
// xz parts: exactly one .xz stream (one block, CRC-32 check) of LZMA2 at
// preset 9e, after x86 or ARM64 BCJ for parts of machine code. Where
// nothing has a base (new packages), LZMA2 beats zstd -19 by 5-10%, and a
// branch filter adds a few percent on code. The dictionary is the part's
// size, at most kMaxXzDict, which bounds what a device allocates.
// OpenXzPart is the pull side: it refuses anything but one stream (no
// padding, nothing after it) with a CRC-32 check, of exactly the size the
// superblock declares, and sets liblzma's memory limit so a stream asking
// for a larger dictionary is refused before anything is allocated.
#pragma once

#include <cstdint>
#include <memory>

#include "repo/delta/byte_source.h"
#include "repo/delta/limits.h"
#include "repo/delta/part_content.h"

namespace larch::delta {

// The dictionary is the part's size, at most `max_dict` (and kMaxXzDict).
Result<Bytes> CompressPartXz(ByteSpan raw, PartContent content, uint32_t max_dict = kMaxXzDict);

// What the decoder may allocate (kMaxXzDict plus liblzma's own state).
uint64_t XzPartMemLimit();

// `compressed` must outlive the decoder, which fails on reads past
// `expected_size`.
Result<std::unique_ptr<ByteSource>> OpenXzPart(ByteSource& compressed, uint64_t expected_size);

}  // namespace larch::delta
