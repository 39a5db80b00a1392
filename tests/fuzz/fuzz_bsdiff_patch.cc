// File: tests/fuzz/fuzz_bsdiff_patch.cc
// The streaming bsdiff decoder as the applier runs it on a big file: input
// is a u32 target size (little-endian) then the patch. Whatever the bytes,
// it must refuse cleanly or produce exactly the target size, hand on no
// block over kMaxBsdiffBlock, and never read base bytes outside the base.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "repo/delta/bsdiff.h"
#include "repo/delta/limits.h"
#include "tests/fuzz/patch_fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::optional<larch::fuzz::PatchInput> in = larch::fuzz::SplitPatchInput(data, size);
  if (!in) return 0;
  const uint64_t target_size = in->target_size;
  larch::delta::SpanRandomAccess base(larch::fuzz::PatchFuzzBase());
  larch::delta::SpanSource patch(in->patch);
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
