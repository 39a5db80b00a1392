// File: repo/delta/part_content.h
//
// What a part mostly holds, so the generator can give machine code a branch
// filter (xz's BCJ: relative call and jump targets become absolute, so the
// many calls to one function look alike and LZMA2 finds them) and keep it
// apart from text, which such a filter would only disturb.
#pragma once

#include <cstdint>

#include "src/base/bytes.h"

namespace larch::delta {

enum class PartContent : uint8_t {
  kX86Code = 0,    // ELF for x86-64 or i386
  kArm64Code = 1,  // ELF for AArch64
  kData = 2,       // anything else (text, other ELF, patches, metadata)
};

// By the ELF header of a file's content; kData for anything else.
PartContent ClassifyContent(ByteSpan content);

}  // namespace larch::delta
