// File: repo/delta/elf_refs.cc
#include "repo/delta/elf_refs.h"

#include <algorithm>
#include <string>

namespace larch::delta {

namespace {

uint32_t Load32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
void Store32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t Load64(const uint8_t* p) { return uint64_t{Load32(p)} | uint64_t{Load32(p + 4)} << 32; }
void Store64(uint8_t* p, uint64_t v) {
  Store32(p, static_cast<uint32_t>(v));
  Store32(p + 4, static_cast<uint32_t>(v >> 32));
}

// How many bytes ahead a step may look, by kind: the longest x86 pattern
// (REX, opcode, ModRM, disp32), an AArch64 word, a pointer, a relocation.
size_t Lookahead(ElfMachine machine, ScanKind kind) {
  switch (kind) {
    case ScanKind::kCode: return machine == ElfMachine::kX86_64 ? 7 : 4;
    case ScanKind::kPointers: return 8;
    case ScanKind::kRela: return 24;
  }
  return 1;
}

int64_t FloorMod(int64_t a, int64_t m) {
  int64_t r = a % m;
  return r < 0 ? r + m : r;
}

// Opcodes that take a ModRM operand and no immediate, so a REX prefix, one
// of these and ModRM mod=00 rm=101 end with the RIP-relative disp32: mov
// loads and stores, lea, movsxd and the usual ALU and test forms.
bool RipOpcode(uint8_t op) {
  switch (op) {
    case 0x8B: case 0x89: case 0x8D: case 0x63: case 0x03: case 0x0B: case 0x13: case 0x1B:
    case 0x23: case 0x2B: case 0x33: case 0x3B: case 0x39: case 0x85: case 0x87: return true;
    default: return false;
  }
}

// An AArch64 PC-relative immediate: where its bits are and what unit it
// counts in (words for branches, 4 KiB pages for ADRP).
struct Arm64Field {
  uint32_t mask, value;
  int lsb, width, scale;
  bool adrp;
};
constexpr Arm64Field kArm64Fields[] = {
    {0x7C000000, 0x14000000, 0, 26, 2, false},   // B, BL
    {0xFF000010, 0x54000000, 5, 19, 2, false},   // B.cond
    {0x7E000000, 0x34000000, 5, 19, 2, false},   // CBZ, CBNZ
    {0x7E000000, 0x36000000, 5, 14, 2, false},   // TBZ, TBNZ
    {0x9F000000, 0x90000000, 5, 21, 12, true},   // ADRP
};

uint32_t GetImm(const Arm64Field& f, uint32_t w) {
  if (f.adrp) return ((w >> 5) & 0x7FFFF) << 2 | ((w >> 29) & 3);
  return (w >> f.lsb) & ((1u << f.width) - 1);
}

uint32_t SetImm(const Arm64Field& f, uint32_t w, uint32_t imm) {
  if (f.adrp) return (w & ~((0x7FFFFu << 5) | (3u << 29))) | ((imm >> 2) & 0x7FFFF) << 5 | (imm & 3) << 29;
  uint32_t m = ((1u << f.width) - 1) << f.lsb;
  return (w & ~m) | ((imm << f.lsb) & m);
}

Status Bad(const std::string& msg) { return Status::Corruption("elf patch: " + msg); }

void AddRanges(const ElfImage& image, bool base, std::vector<ScanRange>& out) {
  for (const ElfSection& s : image.sections) {
    if (s.size == 0 || (s.flags & kShfAlloc) == 0) continue;
    if ((s.flags & kShfExecInstr) != 0) {
      if (s.type == kShtProgbits) out.push_back({ScanKind::kCode, s.offset, s.size, s.vaddr});
    } else if (base && s.type == kShtRela && s.entry_size == 24) {
      out.push_back({ScanKind::kRela, s.offset, s.size, s.vaddr});
    } else if (base && (s.flags & kShfWrite) != 0 && s.vaddr % 8 == 0 &&
               (s.type == kShtProgbits || s.type == kShtInitArray || s.type == kShtFiniArray)) {
      out.push_back({ScanKind::kPointers, s.offset, s.size, s.vaddr});
    }
  }
  bool has_code = std::any_of(out.begin(), out.end(),
                              [](const ScanRange& r) { return r.kind == ScanKind::kCode; });
  if (has_code) return;
  // No section headers (or none marked): the executable loads are the code.
  for (const ElfSegment& s : image.loads)
    if (s.executable && s.file_size > 0) out.push_back({ScanKind::kCode, s.offset, s.file_size, s.vaddr});
}

}  // namespace

int64_t X86ToAbsolute(int64_t s, int64_t pc, int64_t lo, int64_t hi) {
  if (s >= lo - pc && s < hi - pc) return s + pc;  // a target in the image
  if (s >= lo && s < hi) {
    // Would collide with a target: moved to the free values below lo that
    // are congruent to it modulo pc, so that the inverse finds it again.
    return lo - pc + FloorMod(s - lo, pc);
  }
  return s;
}

int64_t X86ToRelative(int64_t y, int64_t pc, int64_t lo, int64_t hi) {
  if (y >= lo && y < hi) return y - pc;
  if (y >= lo - pc && y < hi - pc) {  // a moved collision
    int64_t from = std::max(lo, hi - pc);
    return from + FloorMod(y - from, pc);
  }
  return y;
}

Result<ScanLayout> LayoutOf(const ElfImage& image, bool base) {
  ScanLayout layout;
  layout.image_start = image.ImageStart();
  layout.image_end = image.ImageEnd();
  std::vector<ScanRange> all;
  AddRanges(image, base, all);
  std::sort(all.begin(), all.end(),
            [](const ScanRange& a, const ScanRange& b) { return a.offset < b.offset; });
  for (const ScanRange& r : all) {
    if (!layout.ranges.empty()) {
      const ScanRange& last = layout.ranges.back();
      if (r.offset < last.offset + last.size) continue;  // overlaps: the first one is kept
    }
    layout.ranges.push_back(r);
  }
  if (layout.ranges.size() > kMaxScanRanges) return Status::Unsupported("elf: too many sections");
  uint64_t file_end = 0;
  for (const ScanRange& r : layout.ranges) file_end = std::max(file_end, r.offset + r.size);
  Status s = CheckLayout(layout, image.machine, file_end, base);
  if (!s.ok()) return Status::Unsupported(s.message());
  return layout;
}

Status CheckLayout(const ScanLayout& layout, ElfMachine machine, uint64_t file_size, bool base) {
  const bool x86 = machine == ElfMachine::kX86_64;
  const uint64_t limit = x86 ? kX86ImageLimit : kMaxAnchorAddress;
  if (layout.image_start >= layout.image_end || layout.image_end > limit)
    return Bad("image addresses out of range");
  if (layout.ranges.size() > kMaxScanRanges) return Bad("too many ranges");
  uint64_t next = 0;
  for (const ScanRange& r : layout.ranges) {
    if (r.kind != ScanKind::kCode && (!base || (r.kind != ScanKind::kPointers && r.kind != ScanKind::kRela)))
      return Bad("bad range kind " + std::to_string(static_cast<int>(r.kind)));
    if (r.size == 0 || r.offset < next || r.offset > file_size || r.size > file_size - r.offset)
      return Bad("range outside the file or out of order");
    if (r.vaddr >= limit || r.size > limit - r.vaddr) return Bad("range addresses out of range");
    next = r.offset + r.size;
  }
  return Status::Ok();
}

RefTransformer::RefTransformer(ElfMachine machine, const ScanLayout& layout, RefDirection direction,
                               const AddressMap* map, compress::Sink out)
    : machine_(machine), layout_(layout), direction_(direction), map_(map), out_(std::move(out)) {}

uint64_t RefTransformer::MapPointer(uint64_t v) const {
  if (v < layout_.image_start || v >= layout_.image_end) return v;
  return map_->Map(v);
}

void RefTransformer::RewriteX86(uint8_t* field, uint64_t pc) {
  const auto lo = static_cast<int64_t>(layout_.image_start), hi = static_cast<int64_t>(layout_.image_end);
  const auto p = static_cast<int64_t>(pc);
  int64_t v = static_cast<int32_t>(Load32(field));
  int64_t out = 0;
  if (direction_ == RefDirection::kToRelative) {
    out = X86ToRelative(v, p, lo, hi);
  } else {
    out = X86ToAbsolute(v, p, lo, hi);
    if (direction_ == RefDirection::kToAbsoluteMapped && v + p >= lo && v + p < hi) {
      // A reference into the image: where its target is in the new layout.
      auto mapped = static_cast<int64_t>(map_->Map(static_cast<uint64_t>(v + p)));
      if (mapped >= 0 && mapped < static_cast<int64_t>(kX86ImageLimit)) out = mapped;
    }
  }
  Store32(field, static_cast<uint32_t>(out));
}

size_t RefTransformer::StepX86(const ScanRange& r, uint8_t* at, size_t window) {
  size_t field = 0;  // where the disp32 starts, 0: no reference here
  if ((at[0] == 0xE8 || at[0] == 0xE9) && window >= 5) {
    field = 1;
  } else if (at[0] == 0x0F && window >= 6 && (at[1] & 0xF0) == 0x80) {
    field = 2;
  } else if (at[0] == 0xFF && window >= 6 && (at[1] == 0x15 || at[1] == 0x25)) {
    field = 2;
  } else if ((at[0] & 0xF0) == 0x40 && window >= 7 && RipOpcode(at[1]) && (at[2] & 0xC7) == 0x05) {
    field = 3;
  }
  if (field == 0) return 1;
  uint64_t end = pos_ + field + 4;
  RewriteX86(at + field, r.vaddr + (end - r.offset));
  return field + 4;
}

size_t RefTransformer::StepArm64(const ScanRange& r, uint8_t* at, size_t window) {
  if (window < 4) return window;  // a tail that is not a whole instruction
  uint32_t w = Load32(at);
  const uint64_t pc = r.vaddr + (pos_ - r.offset);
  for (const Arm64Field& f : kArm64Fields) {
    if ((w & f.mask) != f.value) continue;
    const uint32_t mask = (1u << f.width) - 1;
    const auto here = static_cast<uint32_t>(pc >> f.scale);
    uint32_t imm = GetImm(f, w);
    if (direction_ == RefDirection::kToRelative) {
      imm = (imm - here) & mask;
    } else {
      uint32_t absolute = (imm + here) & mask;
      if (direction_ == RefDirection::kToAbsoluteMapped) {
        int64_t rel = static_cast<int32_t>(imm << (32 - f.width)) >> (32 - f.width);
        int64_t target = (static_cast<int64_t>(pc >> f.scale) + rel) * (int64_t{1} << f.scale);
        if (target >= static_cast<int64_t>(layout_.image_start) &&
            target < static_cast<int64_t>(layout_.image_end))
          absolute = static_cast<uint32_t>(map_->Map(static_cast<uint64_t>(target)) >> f.scale) & mask;
      }
      imm = absolute;
    }
    Store32(at, SetImm(f, w, imm));
    break;
  }
  return 4;
}

size_t RefTransformer::StepPointers(uint8_t* at, size_t window) {
  if (window < 8) return window;
  Store64(at, MapPointer(Load64(at)));
  return 8;
}

size_t RefTransformer::StepRela(uint8_t* at, size_t window) {
  if (window < 24) return window;
  Store64(at, MapPointer(Load64(at)));            // r_offset
  Store64(at + 16, MapPointer(Load64(at + 16)));  // r_addend
  return 24;
}

size_t RefTransformer::Step(const ScanRange& r, uint8_t* at, size_t window) {
  if (r.kind == ScanKind::kCode)
    return machine_ == ElfMachine::kX86_64 ? StepX86(r, at, window) : StepArm64(r, at, window);
  // Data is rewritten in the base only; elsewhere it passes through.
  if (direction_ != RefDirection::kToAbsoluteMapped) return window;
  return r.kind == ScanKind::kPointers ? StepPointers(at, window) : StepRela(at, window);
}

Status RefTransformer::Process(bool final) {
  const uint64_t end = buf_start_ + buf_.size();
  const std::vector<ScanRange>& ranges = layout_.ranges;
  while (pos_ < end) {
    while (range_ < ranges.size() && ranges[range_].offset + ranges[range_].size <= pos_) ++range_;
    if (range_ == ranges.size()) {
      pos_ = end;
      break;
    }
    const ScanRange& r = ranges[range_];
    if (pos_ < r.offset) {
      pos_ = std::min(r.offset, end);
      continue;
    }
    // The same window whichever way the file is cut into chunks.
    size_t window = static_cast<size_t>(
        std::min<uint64_t>(r.offset + r.size - pos_, Lookahead(machine_, r.kind)));
    if (end - pos_ < window) {
      if (final) return Bad("file ends inside a scanned range");
      break;
    }
    pos_ += Step(r, buf_.data() + (pos_ - buf_start_), window);
  }
  size_t ready = static_cast<size_t>(pos_ - buf_start_);
  if (ready == 0) return Status::Ok();
  LARCH_RETURN_IF_ERROR(out_(ByteSpan(buf_.data(), ready)));
  buf_.erase(buf_.begin(), buf_.begin() + static_cast<ptrdiff_t>(ready));
  buf_start_ = pos_;
  return Status::Ok();
}

Status RefTransformer::Feed(ByteSpan chunk) {
  buf_.insert(buf_.end(), chunk.begin(), chunk.end());
  return Process(false);
}

Status RefTransformer::Finish() {
  LARCH_RETURN_IF_ERROR(Process(true));
  if (range_ < layout_.ranges.size() &&
      layout_.ranges[range_].offset + layout_.ranges[range_].size > pos_)
    return Bad("file ends before its scanned ranges");
  return Status::Ok();
}

Result<Bytes> TransformRefs(ElfMachine machine, const ScanLayout& layout, RefDirection direction,
                            const AddressMap* map, ByteSpan file) {
  Bytes out;
  out.reserve(file.size());
  RefTransformer t(machine, layout, direction, map, [&](ByteSpan chunk) {
    out.insert(out.end(), chunk.begin(), chunk.end());
    return Status::Ok();
  });
  LARCH_RETURN_IF_ERROR(t.Feed(file));
  LARCH_RETURN_IF_ERROR(t.Finish());
  return out;
}

}  // namespace larch::delta
