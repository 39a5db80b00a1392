// File: tests/fuzz/canonical_check.h
// The property every object fuzzer checks: bytes a decoder accepts must
// re-encode to exactly those bytes. A second accepted encoding of one value
// would give one directory, file or commit two different ids.
#pragma once

#include <algorithm>

#include "src/base/bytes.h"

namespace larch::fuzz {

inline void TrapUnlessSame(larch::ByteSpan accepted, const larch::Bytes& reencoded) {
  if (accepted.size() != reencoded.size() ||
      !std::equal(accepted.begin(), accepted.end(), reencoded.begin())) {
    __builtin_trap();
  }
}

}  // namespace larch::fuzz
