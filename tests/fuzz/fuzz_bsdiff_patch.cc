// File: tests/fuzz/fuzz_bsdiff_patch.cc
// The streaming bsdiff decoder as the applier runs it on a big file: input
// is a u32 target size (little-endian) then the patch. Whatever the bytes,
// it must refuse cleanly or produce exactly the target size, hand on no
// block over kMaxBsdiffBlock, and never read base bytes outside the base.
#include <cstddef>
#include <cstdint>

#include "repo/delta/bsdiff.h"
#include "repo/delta/limits.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  uint64_t target_size = uint64_t{data[0]} | uint64_t{data[1]} << 8 | uint64_t{data[2]} << 16 |
                         uint64_t{data[3]} << 24;
  static const larch::Bytes base_bytes = [] {
    larch::Bytes b(4096);
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 31);
    return b;
  }();
  larch::delta::SpanRandomAccess base(base_bytes);
  larch::delta::SpanSource patch(larch::ByteSpan(data + 4, size - 4));
  uint64_t produced = 0;
  larch::Status s = larch::delta::BsdiffApplyStream(
      base, patch, target_size,
      [&](larch::ByteSpan block) {
        if (block.empty() || block.size() > larch::delta::kMaxBsdiffBlock) __builtin_trap();
        produced += block.size();
        return larch::Status::Ok();
      },
      larch::delta::kMaxBsdiffBlockControls);
  if (s.ok() && produced != target_size) __builtin_trap();
  return 0;
}
