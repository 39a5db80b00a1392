// File: repo/delta/suffix_sort.cc
//
// libdivsufsort is loaded with dlopen until larch_delta's CMake target links
// it (pkg-config libdivsufsort): the build files belong to another change.
// Without the library the bsdiff engine reports kUnsupported and the
// generator falls back to the zstd engine alone; nothing on the apply side
// needs it.
#include "repo/delta/suffix_sort.h"

#include <dlfcn.h>

#include <limits>
#include <mutex>

namespace larch::delta {

namespace {

using DivSufSortFn = int32_t (*)(const uint8_t*, int32_t*, int32_t);

DivSufSortFn LoadDivSufSort() {
  static std::once_flag once;
  static DivSufSortFn fn = nullptr;
  std::call_once(once, [] {
    void* lib = ::dlopen("libdivsufsort.so.3", RTLD_NOW | RTLD_LOCAL);
    if (lib != nullptr) fn = reinterpret_cast<DivSufSortFn>(::dlsym(lib, "divsufsort"));
  });
  return fn;
}

}  // namespace

Result<std::vector<int32_t>> SuffixArray(ByteSpan data) {
  if (data.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    return Status::InvalidArgument("suffix sort: input too large");
  DivSufSortFn divsufsort = LoadDivSufSort();
  if (divsufsort == nullptr)
    return Status::Unsupported("suffix sort: libdivsufsort.so.3 is not available");
  std::vector<int32_t> sa(data.size());
  if (data.empty()) return sa;
  if (divsufsort(data.data(), sa.data(), static_cast<int32_t>(data.size())) != 0)
    return Status::IoError("suffix sort: divsufsort failed");
  return sa;
}

}  // namespace larch::delta
