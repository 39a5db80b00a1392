// File: repo/delta/suffix_sort.cc
//
// Suffix arrays by libdivsufsort (Debian libdivsufsort-dev), for the
// bsdiff engine.
#include "repo/delta/suffix_sort.h"

#include <divsufsort.h>

#include <limits>

namespace larch::delta {

Result<std::vector<int32_t>> SuffixArray(ByteSpan data) {
  if (data.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    return Status::InvalidArgument("suffix sort: input too large");
  std::vector<int32_t> sa(data.size());
  if (data.empty()) return sa;
  if (divsufsort(data.data(), sa.data(), static_cast<int32_t>(data.size())) != 0)
    return Status::IoError("suffix sort: divsufsort failed");
  return sa;
}

}  // namespace larch::delta
