// File: repo/delta/part_content.cc
#include "repo/delta/part_content.h"

namespace larch::delta {

namespace {

constexpr uint16_t kElfI386 = 3;
constexpr uint16_t kElfX86_64 = 62;
constexpr uint16_t kElfAarch64 = 183;
constexpr size_t kMachineOffset = 18;
constexpr uint8_t kElfDataLittle = 1;
constexpr size_t kDataOffset = 5;

}  // namespace

PartContent ClassifyContent(ByteSpan content) {
  if (content.size() < kMachineOffset + 2 || content[0] != 0x7f || content[1] != 'E' ||
      content[2] != 'L' || content[3] != 'F' || content[kDataOffset] != kElfDataLittle)
    return PartContent::kData;
  const uint16_t machine =
      static_cast<uint16_t>(content[kMachineOffset] | content[kMachineOffset + 1] << 8);
  switch (machine) {
    case kElfI386:
    case kElfX86_64: return PartContent::kX86Code;
    case kElfAarch64: return PartContent::kArm64Code;
    default: return PartContent::kData;
  }
}

}  // namespace larch::delta
