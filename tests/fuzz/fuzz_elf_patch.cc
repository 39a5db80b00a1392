// File: tests/fuzz/fuzz_elf_patch.cc
// The ELF patch decoder as the applier runs it on a big file: input is a
// u32 target size (little-endian) then the patch. Whatever the bytes, it
// must refuse cleanly or produce exactly the target size, write no more
// rewritten base than the base holds, and never read outside the base.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <memory>

#include "repo/delta/elf_patch.h"
#include "repo/delta/limits.h"
#include "tests/fuzz/patch_fuzz_input.h"

namespace {

class Scratch : public larch::delta::RandomAccess {
 public:
  uint64_t size() const override { return data_.size(); }
  larch::Status ReadAt(uint64_t offset, larch::MutableByteSpan buf) override {
    return larch::delta::SpanRandomAccess(data_).ReadAt(offset, buf);
  }
  larch::Bytes data_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::optional<larch::fuzz::PatchInput> in = larch::fuzz::SplitPatchInput(data, size);
  if (!in) return 0;
  const uint64_t target_size = in->target_size;
  const larch::Bytes& base_bytes = larch::fuzz::PatchFuzzBase();
  larch::delta::SpanRandomAccess base(base_bytes);
  larch::delta::SpanSource patch(in->patch);
  uint64_t produced = 0;
  larch::Status s = larch::delta::ElfPatchApplyStream(
      base, patch, target_size,
      [&](larch::ByteSpan chunk) {
        produced += chunk.size();
        if (produced > target_size) __builtin_trap();
        return larch::Status::Ok();
      },
      [&](const larch::delta::ScratchWriter& produce)
          -> larch::Result<std::unique_ptr<larch::delta::RandomAccess>> {
        auto scratch = std::make_unique<Scratch>();
        LARCH_RETURN_IF_ERROR(produce([&](larch::ByteSpan chunk) {
          scratch->data_.insert(scratch->data_.end(), chunk.begin(), chunk.end());
          if (scratch->data_.size() > base_bytes.size()) __builtin_trap();
          return larch::Status::Ok();
        }));
        if (scratch->data_.size() != base_bytes.size()) __builtin_trap();
        return std::unique_ptr<larch::delta::RandomAccess>(std::move(scratch));
      });
  if (s.ok() && produced != target_size) __builtin_trap();
  return 0;
}
