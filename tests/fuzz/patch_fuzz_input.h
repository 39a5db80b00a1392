// File: tests/fuzz/patch_fuzz_input.h
// The input of the streamed patch fuzzers: a u32 target size
// (little-endian) then the patch, applied against a fixed 4 KiB base.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "src/base/bytes.h"

namespace larch::fuzz {

struct PatchInput {
  uint64_t target_size;
  ByteSpan patch;
};

inline std::optional<PatchInput> SplitPatchInput(const uint8_t* data, size_t size) {
  if (size < 4) return std::nullopt;
  uint64_t target_size = uint64_t{data[0]} | uint64_t{data[1]} << 8 | uint64_t{data[2]} << 16 |
                         uint64_t{data[3]} << 24;
  return PatchInput{target_size, ByteSpan(data + 4, size - 4)};
}

inline const Bytes& PatchFuzzBase() {
  static const Bytes base = [] {
    Bytes b(4096);
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 31);
    return b;
  }();
  return base;
}

}  // namespace larch::fuzz
