// File: repo/delta/suffix_sort.h
//
// Suffix array of a byte string, from libdivsufsort (Debian's
// libdivsufsort3: the suffix sorter bsdiff-class tools use; O(n log n)
// worst case, ~5n bytes of work space). Only the generator needs it.
#pragma once

#include <cstdint>
#include <vector>

#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::delta {

// SA[i] = start of the i-th smallest suffix. Inputs up to 2^31 - 1 bytes.
Result<std::vector<int32_t>> SuffixArray(ByteSpan data);

}  // namespace larch::delta
