// File: repo/delta/elf_image.cc
// Field offsets follow the System V ABI (ELF64): the file header is 64
// bytes, a program header 56, a section header 64.
#include "repo/delta/elf_image.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace larch::delta {

namespace {

constexpr uint16_t kEmX86_64 = 62;
constexpr uint16_t kEmAArch64 = 183;
constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kPtGnuEhFrame = 0x6474e550;
constexpr uint32_t kPfX = 1;
constexpr uint32_t kShtNobits = 8;
constexpr size_t kHeaderSize = 64, kPhdrSize = 56, kShdrSize = 64;
// More than any real binary has; bounds the work on hostile input.
constexpr uint32_t kMaxHeaders = 1u << 16;

Status Unsupported(const std::string& msg) { return Status::Unsupported("elf: " + msg); }

uint64_t Le(ByteSpan b, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{b[at + i]} << (8 * i);
  return v;
}

// [offset, offset + size) inside a file of `file_size` bytes, without overflow.
bool Inside(uint64_t offset, uint64_t size, uint64_t file_size) {
  return offset <= file_size && size <= file_size - offset;
}

Result<ElfMachine> Machine(ByteSpan f) {
  static constexpr uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
  if (f.size() < kHeaderSize || std::memcmp(f.data(), kMagic, 4) != 0) return Unsupported("not ELF");
  if (f[4] != 2 || f[5] != 1 || f[6] != 1) return Unsupported("not ELF64 little-endian version 1");
  switch (Le(f, 18, 2)) {
    case kEmX86_64: return ElfMachine::kX86_64;
    case kEmAArch64: return ElfMachine::kAArch64;
    default: return Unsupported("machine " + std::to_string(Le(f, 18, 2)));
  }
}

// A table of `count` entries of `entry` bytes at `offset`, checked.
Status CheckTable(ByteSpan f, uint64_t offset, uint64_t count, uint64_t entry, uint64_t want_entry,
                  const char* what) {
  if (count == 0) return Status::Ok();
  if (count > kMaxHeaders || entry != want_entry || !Inside(offset, count * entry, f.size()))
    return Unsupported(std::string("bad ") + what + " table");
  return Status::Ok();
}

Status ReadLoads(ByteSpan f, ElfImage& image) {
  uint64_t off = Le(f, 32, 8), n = Le(f, 56, 2);
  LARCH_RETURN_IF_ERROR(CheckTable(f, off, n, Le(f, 54, 2), kPhdrSize, "program header"));
  for (uint64_t i = 0; i < n; ++i) {
    size_t at = static_cast<size_t>(off + i * kPhdrSize);
    uint64_t type = Le(f, at, 4);
    if (type != kPtLoad && type != kPtGnuEhFrame) continue;
    ElfSegment s;
    s.executable = (Le(f, at + 4, 4) & kPfX) != 0;
    s.offset = Le(f, at + 8, 8);
    s.vaddr = Le(f, at + 16, 8);
    s.file_size = Le(f, at + 32, 8);
    s.mem_size = Le(f, at + 40, 8);
    if (!Inside(s.offset, s.file_size, f.size()) || s.file_size > s.mem_size ||
        s.vaddr > UINT64_MAX - s.mem_size)
      return Unsupported("segment outside the file");
    if (type == kPtLoad) {
      image.loads.push_back(s);
    } else {
      image.eh_frame_hdr = s;
    }
  }
  if (image.loads.empty()) return Unsupported("no PT_LOAD");
  return Status::Ok();
}

Status ReadSections(ByteSpan f, ElfImage& image) {
  uint64_t off = Le(f, 40, 8), n = Le(f, 60, 2);
  LARCH_RETURN_IF_ERROR(CheckTable(f, off, n, Le(f, 58, 2), kShdrSize, "section header"));
  for (uint64_t i = 0; i < n; ++i) {
    size_t at = static_cast<size_t>(off + i * kShdrSize);
    ElfSection s;
    s.type = static_cast<uint32_t>(Le(f, at + 4, 4));
    image.section_at.push_back(0);
    if (s.type == 0 || s.type == kShtNobits) continue;
    s.flags = Le(f, at + 8, 8);
    s.vaddr = Le(f, at + 16, 8);
    s.offset = Le(f, at + 24, 8);
    s.size = Le(f, at + 32, 8);
    s.entry_size = Le(f, at + 56, 8);
    s.link = static_cast<uint32_t>(Le(f, at + 40, 4));
    if (!Inside(s.offset, s.size, f.size()) || s.vaddr > UINT64_MAX - s.size)
      return Unsupported("section outside the file");
    image.sections.push_back(s);
    image.section_at.back() = static_cast<uint32_t>(image.sections.size());
  }
  return Status::Ok();
}

}  // namespace

std::optional<uint64_t> ElfImage::VaddrOf(uint64_t offset) const {
  for (const ElfSegment& s : loads)
    if (offset >= s.offset && offset - s.offset < s.file_size) return s.vaddr + (offset - s.offset);
  return std::nullopt;
}

uint64_t ElfImage::ImageStart() const {
  uint64_t lo = UINT64_MAX;
  for (const ElfSegment& s : loads) lo = std::min(lo, s.vaddr);
  return lo;
}

uint64_t ElfImage::ImageEnd() const {
  uint64_t hi = 0;
  for (const ElfSegment& s : loads) hi = std::max(hi, s.vaddr + s.mem_size);
  return hi;
}

Result<ElfImage> ParseElf(ByteSpan file) {
  ElfImage image;
  LARCH_ASSIGN_OR_RETURN(image.machine, Machine(file));
  LARCH_RETURN_IF_ERROR(ReadLoads(file, image));
  LARCH_RETURN_IF_ERROR(ReadSections(file, image));
  return image;
}

}  // namespace larch::delta
