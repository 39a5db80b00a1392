// File: repo/delta/elf_patch_header.cc
#include "repo/delta/elf_patch_header.h"

#include <cstring>
#include <string>

#include "src/encoding/encoding.h"

namespace larch::delta {

namespace {

constexpr uint8_t kMagic[4] = {'L', 'X', 'E', 'F'};
constexpr uint8_t kVersion = 1;
constexpr size_t kRangeSize = 1 + 8 + 8 + 8;
constexpr size_t kMaxVarint = 10;
constexpr char kWhat[] = "elf patch";

Status Bad(const std::string& msg) { return Status::Corruption(std::string(kWhat) + ": " + msg); }

void PutVarint(Bytes& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

uint64_t Zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t Unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// Canonical: no more bytes than the value needs, at most 64 bits.
Result<uint64_t> GetVarint(ByteSpan in, size_t& pos) {
  uint64_t v = 0;
  for (size_t i = 0; i < kMaxVarint; ++i) {
    if (pos >= in.size()) return Bad("truncated anchors");
    uint8_t b = in[pos++];
    if (i == 9 && b > 1) return Bad("varint above 64 bits");
    v |= uint64_t{b & 0x7Fu} << (7 * i);
    if ((b & 0x80) == 0) {
      if (b == 0 && i > 0) return Bad("overlong varint");
      return v;
    }
  }
  return Bad("varint above 64 bits");
}

void EncodeLayout(encoding::Encoder& enc, const ScanLayout& layout) {
  enc.U64(layout.image_start);
  enc.U64(layout.image_end);
  enc.U32(static_cast<uint32_t>(layout.ranges.size()));
  for (const ScanRange& r : layout.ranges) {
    enc.U8(static_cast<uint8_t>(r.kind));
    enc.U64(r.offset);
    enc.U64(r.size);
    enc.U64(r.vaddr);
  }
}

Bytes EncodeAnchors(const std::vector<AddressAnchor>& anchors) {
  Bytes out;
  uint64_t old = 0;
  int64_t shift = 0;
  for (const AddressAnchor& a : anchors) {
    PutVarint(out, a.old_vaddr - old);
    PutVarint(out, Zigzag(a.shift - shift));
    old = a.old_vaddr;
    shift = a.shift;
  }
  return out;
}

Status ReadExactly(ByteSource& src, MutableByteSpan buf) {
  LARCH_ASSIGN_OR_RETURN(bool full, ReadFull(src, buf));
  if (!full) return Bad("truncated header");
  return Status::Ok();
}

Result<ScanLayout> ReadLayout(ByteSource& src, ElfMachine machine, uint64_t file_size, bool base) {
  uint8_t head[8 + 8 + 4];
  LARCH_RETURN_IF_ERROR(ReadExactly(src, head));
  encoding::Decoder dec(head, kWhat);
  ScanLayout layout;
  LARCH_ASSIGN_OR_RETURN(layout.image_start, dec.U64());
  LARCH_ASSIGN_OR_RETURN(layout.image_end, dec.U64());
  LARCH_ASSIGN_OR_RETURN(uint32_t count, dec.U32());
  if (count > kMaxScanRanges) return Bad("too many ranges");
  Bytes raw(count * kRangeSize);
  LARCH_RETURN_IF_ERROR(ReadExactly(src, raw));
  encoding::Decoder ranges(raw, kWhat);
  layout.ranges.resize(count);
  for (ScanRange& r : layout.ranges) {
    LARCH_ASSIGN_OR_RETURN(uint8_t kind, ranges.U8());
    r.kind = static_cast<ScanKind>(kind);  // CheckLayout refuses unknown kinds
    LARCH_ASSIGN_OR_RETURN(r.offset, ranges.U64());
    LARCH_ASSIGN_OR_RETURN(r.size, ranges.U64());
    LARCH_ASSIGN_OR_RETURN(r.vaddr, ranges.U64());
  }
  LARCH_RETURN_IF_ERROR(CheckLayout(layout, machine, file_size, base));
  return layout;
}

Result<std::vector<AddressAnchor>> DecodeAnchors(ByteSpan in, uint32_t count) {
  std::vector<AddressAnchor> anchors(count);
  size_t pos = 0;
  uint64_t old = 0;
  int64_t shift = 0;
  for (uint32_t i = 0; i < count; ++i) {
    LARCH_ASSIGN_OR_RETURN(uint64_t step, GetVarint(in, pos));
    LARCH_ASSIGN_OR_RETURN(uint64_t change, GetVarint(in, pos));
    if ((i > 0 && step == 0) || step >= kMaxAnchorAddress - old) return Bad("anchors out of order");
    int64_t delta = Unzigzag(change);
    const auto limit = static_cast<int64_t>(kMaxAnchorAddress);
    if (delta == 0) return Bad("anchor that changes nothing");
    if (delta >= 2 * limit || delta <= -2 * limit || shift + delta >= limit || shift + delta <= -limit)
      return Bad("anchor shift out of range");
    old += step;
    shift += delta;
    anchors[i] = {old, shift};
  }
  if (pos != in.size()) return Bad("bytes after the anchors");
  return anchors;
}

}  // namespace

Bytes EncodeElfPatchHeader(const ElfPatchHeader& header) {
  encoding::Encoder enc;
  enc.Raw(kMagic);
  enc.U8(kVersion);
  enc.U8(static_cast<uint8_t>(header.machine));
  EncodeLayout(enc, header.base);
  EncodeLayout(enc, header.target);
  Bytes anchors = EncodeAnchors(header.anchors);
  enc.U32(static_cast<uint32_t>(header.anchors.size()));
  enc.U32(static_cast<uint32_t>(anchors.size()));
  enc.Raw(anchors);
  return enc.Take();
}

Result<ElfPatchHeader> ReadElfPatchHeader(ByteSource& patch, uint64_t base_size, uint64_t target_size) {
  uint8_t head[6];
  LARCH_RETURN_IF_ERROR(ReadExactly(patch, head));
  if (std::memcmp(head, kMagic, 4) != 0) return Bad("bad magic");
  if (head[4] != kVersion) return Bad("unknown version " + std::to_string(head[4]));
  if (head[5] != static_cast<uint8_t>(ElfMachine::kX86_64) &&
      head[5] != static_cast<uint8_t>(ElfMachine::kAArch64))
    return Bad("unknown machine " + std::to_string(head[5]));
  ElfPatchHeader header;
  header.machine = static_cast<ElfMachine>(head[5]);
  LARCH_ASSIGN_OR_RETURN(header.base, ReadLayout(patch, header.machine, base_size, true));
  LARCH_ASSIGN_OR_RETURN(header.target, ReadLayout(patch, header.machine, target_size, false));
  uint8_t counts[8];
  LARCH_RETURN_IF_ERROR(ReadExactly(patch, counts));
  encoding::Decoder dec(counts, kWhat);
  LARCH_ASSIGN_OR_RETURN(uint32_t count, dec.U32());
  LARCH_ASSIGN_OR_RETURN(uint32_t bytes, dec.U32());
  // Each anchor takes 2 to 2 * kMaxVarint bytes.
  if (count > kMaxAddressAnchors || bytes < uint64_t{count} * 2 || bytes > uint64_t{count} * 2 * kMaxVarint)
    return Bad("bad anchor count");
  Bytes raw(bytes);
  LARCH_RETURN_IF_ERROR(ReadExactly(patch, raw));
  LARCH_ASSIGN_OR_RETURN(header.anchors, DecodeAnchors(raw, count));
  return header;
}

}  // namespace larch::delta
