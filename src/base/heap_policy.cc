// File: src/base/heap_policy.cc
#include "src/base/heap_policy.h"

#include <cstddef>  // defines __GLIBC__ (via features.h) on glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace larch {

namespace {
// Buffers of this size or more get mappings of their own.
constexpr int kMmapThreshold = 256 << 10;
// Free memory at the top of the heap beyond this goes back at once.
constexpr int kTrimThreshold = 1 << 20;
}  // namespace

void SetDeviceHeapPolicy() {
#if defined(__GLIBC__)
  // Setting either value also turns off glibc's dynamic adjustment of both.
  (void)mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  (void)mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
#endif
}

}  // namespace larch
