// File: repo/delta/elf_refs.cc
#include "repo/delta/elf_refs.h"

#include <algorithm>
#include <array>
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

// Switch table bases remembered (8 bytes each).
constexpr size_t kMaxTableBases = 1u << 18;
// What Feed copies into its buffer at once.
constexpr size_t kFeedPiece = 64u << 10;
// An .eh_frame record's head, as far as the walk reads it.
constexpr size_t kEhFrameWindow = 64;
// The CIEs remembered: a bound on memory, far above real binaries' counts.
constexpr size_t kMaxCies = 1u << 16;
// DWARF pointer encodings (DW_EH_PE_*) the walk understands.
constexpr uint8_t kPcrelSdata4 = 0x1b, kUdata4 = 0x03, kDatarelSdata4 = 0x3b;

// How many bytes ahead a step may look, by kind: the longest x86 pattern
// (REX, opcode, ModRM, disp32), an AArch64 word, a pointer, a relocation.
size_t Lookahead(ElfMachine machine, ScanKind kind) {
  switch (kind) {
    case ScanKind::kCode: return machine == ElfMachine::kX86_64 ? 7 : 4;
    case ScanKind::kPointers: return 8;
    case ScanKind::kRela: return 24;
    case ScanKind::kSymbols: return 24;
    case ScanKind::kEhFrameHdr: return 8;
    case ScanKind::kEhFrame: return kEhFrameWindow;
    case ScanKind::kJumpTables: return 4;
  }
  return 1;
}

int64_t FloorMod(int64_t a, int64_t m) {
  int64_t r = a % m;
  return r < 0 ? r + m : r;
}

// One-byte opcodes with a ModRM operand: with ModRM mod=00 rm=101 the
// disp32 that follows is RIP-relative. mov loads and stores, lea, movsxd,
// the usual ALU and test forms, and the immediate groups (an immediate
// after the disp32 is left to the scan).
constexpr bool RipOpcode(uint8_t op) {
  switch (op) {
    case 0x8B: case 0x89: case 0x8D: case 0x63: case 0x03: case 0x0B: case 0x13: case 0x1B:
    case 0x23: case 0x2B: case 0x33: case 0x3B: case 0x39: case 0x85: case 0x87:
    case 0x80: case 0x81: case 0x83: case 0xC6: case 0xC7: case 0xFF: return true;
    default: return false;
  }
}

// Two-byte (0F xx) opcodes likewise: SSE moves and arithmetic, movzx, movsx.
constexpr bool RipOpcode0F(uint8_t op) {
  switch (op) {
    case 0x10: case 0x11: case 0x28: case 0x29: case 0x2E: case 0x2F: case 0x51: case 0x54:
    case 0x57: case 0x58: case 0x59: case 0x5C: case 0x5E: case 0x6F: case 0x7F: case 0xB6:
    case 0xB7: case 0xBE: case 0xBF: return true;
    default: return false;
  }
}

constexpr bool RipModrm(uint8_t modrm) { return (modrm & 0xC7) == 0x05; }

// Whether a reference can start at a pair of bytes (the first | the second
// << 8): true for every pair StepX86 can rewrite from (a superset: a REX or
// 0F pair still needs its third byte), false for almost all others. Most
// code bytes start no reference; one 64 KiB table look-up per byte rules
// them out (a table of first bytes alone let about a quarter of code bytes
// through, and the byte-at-a-time scan was half of applying a big binary's
// patch).
constexpr bool X86PairMayStart(uint8_t b0, uint8_t b1) {
  if (b0 == 0xE8 || b0 == 0xE9) return true;
  if (b0 == 0x0F) return (b1 & 0xF0) == 0x80 || RipOpcode0F(b1);
  if ((b0 & 0xF0) == 0x40) return RipOpcode(b1);
  return RipOpcode(b0) && RipModrm(b1);
}
const std::array<bool, 65536>& X86PairTable() {
  static const std::array<bool, 65536> table = [] {
    std::array<bool, 65536> t{};
    for (unsigned i = 0; i < t.size(); ++i)
      t[i] = X86PairMayStart(static_cast<uint8_t>(i & 0xFF), static_cast<uint8_t>(i >> 8));
    return t;
  }();
  return table;
}

// Where the disp32 of a reference starting at `at` begins (0: none starts
// there), given the `window` bytes that may be looked at. Inline: the
// scan asks it at every byte the pair table lets through.
[[gnu::always_inline]] inline size_t X86FieldAt(const uint8_t* at, size_t window) {
  if ((at[0] == 0xE8 || at[0] == 0xE9) && window >= 5) return 1;
  if (at[0] == 0x0F && window >= 6 && (at[1] & 0xF0) == 0x80) return 2;
  if ((at[0] & 0xF0) == 0x40 && window >= 7 && RipOpcode(at[1]) && RipModrm(at[2])) return 3;  // REX, opcode, ModRM
  if (at[0] == 0x0F && window >= 7 && RipOpcode0F(at[1]) && RipModrm(at[2])) return 3;
  if (window >= 6 && RipOpcode(at[0]) && RipModrm(at[1])) return 2;
  return 0;
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

// .eh_frame_hdr and the .eh_frame it indexes, when the header uses the
// encodings GCC and the binutils linkers write.
void AddEhFrame(const ElfImage& image, ByteSpan file, bool base, std::vector<ScanRange>& out) {
  if (!image.eh_frame_hdr || image.eh_frame_hdr->file_size < 12) return;
  const ElfSegment& hdr = *image.eh_frame_hdr;
  const uint8_t* h = file.data() + hdr.offset;
  if (h[0] != 1 || h[1] != kPcrelSdata4 || h[2] != kUdata4 || h[3] != kDatarelSdata4) return;
  if (base) out.push_back({ScanKind::kEhFrameHdr, hdr.offset, hdr.file_size, hdr.vaddr});
  uint64_t eh_frame = hdr.vaddr + 4 + static_cast<uint64_t>(int64_t{static_cast<int32_t>(Load32(h + 4))});
  for (const ElfSection& s : image.sections)
    if (s.vaddr == eh_frame && s.type == kShtProgbits && s.size > 0)
      out.push_back({ScanKind::kEhFrame, s.offset, s.size, s.vaddr});
}

void AddRanges(const ElfImage& image, bool base, std::vector<ScanRange>& out) {
  for (const ElfSection& s : image.sections) {
    if (base && (s.type == kShtSymtab || s.type == kShtDynsym) && s.entry_size == 24 && s.size > 0)
      out.push_back({ScanKind::kSymbols, s.offset, s.size, s.vaddr});
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

// Read-only data sections, where GCC puts x86 switch tables.
void AddJumpTables(const ElfImage& image, std::vector<ScanRange>& out) {
  for (const ElfSection& s : image.sections)
    if (s.type == kShtProgbits && s.size > 0 && (s.flags & (kShfAlloc | kShfWrite | kShfExecInstr)) == kShfAlloc &&
        s.vaddr % 4 == 0)
      out.push_back({ScanKind::kJumpTables, s.offset, s.size, s.vaddr});
}

// Reads an unsigned LEB128 from in[pos...]; false when it runs out.
bool Uleb(ByteSpan in, size_t& pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; pos < in.size() && shift < 64; shift += 7) {
    uint8_t b = in[pos++];
    *v |= uint64_t{b & 0x7Fu} << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// The FDE pointer encoding ('R' augmentation) of the CIE at the start of
// `cie` (as much of it as the window holds); 0 when unknown.
uint8_t CieEncoding(ByteSpan cie) {
  size_t pos = 8;
  if (pos >= cie.size()) return 0;
  const uint8_t version = cie[pos++];
  const size_t aug = pos;
  while (pos < cie.size() && cie[pos] != 0) ++pos;
  if (pos >= cie.size() || cie[aug] != 'z') return 0;
  const size_t aug_end = pos++;
  uint64_t skip;
  // Code and data alignment factors, return address register.
  if (!Uleb(cie, pos, &skip) || !Uleb(cie, pos, &skip)) return 0;
  if (version == 1) {
    ++pos;
  } else if (!Uleb(cie, pos, &skip)) {
    return 0;
  }
  if (!Uleb(cie, pos, &skip)) return 0;  // augmentation data length
  for (size_t i = aug + 1; i < aug_end; ++i) {
    if (pos >= cie.size()) return 0;
    switch (cie[i]) {
      case 'R': return cie[pos];
      case 'L': ++pos; break;
      case 'S': break;
      case 'P': {
        uint8_t enc = cie[pos++];
        size_t size = (enc & 0x7) == 3 ? 4 : (enc & 0x7) == 4 || (enc & 0x7) == 0 ? 8 : 0;
        if (size == 0) return 0;
        pos += size;
        break;
      }
      default: return 0;
    }
  }
  return 0;
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

Result<ScanLayout> LayoutOf(const ElfImage& image, ByteSpan file, bool base) {
  ScanLayout layout;
  layout.image_start = image.ImageStart();
  layout.image_end = image.ImageEnd();
  std::vector<ScanRange> all;
  AddRanges(image, base, all);
  AddEhFrame(image, file, base, all);
  if (base && image.machine == ElfMachine::kX86_64) AddJumpTables(image, all);
  // Stable: at equal offsets the range added first (jump tables last) is kept.
  std::stable_sort(all.begin(), all.end(),
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
    const auto kind = static_cast<uint8_t>(r.kind);
    if (kind < 1 || kind > kMaxScanKind)
      return Bad("bad range kind " + std::to_string(kind));
    if (!base && r.kind != ScanKind::kCode && r.kind != ScanKind::kEhFrame)
      return Bad("bad range kind " + std::to_string(kind) + " in the target");
    if (r.size == 0 || r.offset < next || r.offset > file_size || r.size > file_size - r.offset)
      return Bad("range outside the file or out of order");
    if (r.vaddr >= limit || r.size > limit - r.vaddr) return Bad("range addresses out of range");
    next = r.offset + r.size;
  }
  return Status::Ok();
}

RefTransformer::RefTransformer(ElfMachine machine, const ScanLayout& layout, RefDirection direction,
                               const AddressMap* map, compress::Sink out)
    : machine_(machine), layout_(layout), direction_(direction), map_(map), out_(std::move(out)) {
  for (const ScanRange& r : layout_.ranges) {
    if (r.kind != ScanKind::kCode) continue;
    code_start_ = std::min(code_start_, r.vaddr);
    code_end_ = std::max(code_end_, r.vaddr + r.size);
  }
}

// A lea (REX.W 8D) whose RIP-relative operand, ending at `pc`, is outside
// the code: perhaps a switch table.
void RefTransformer::NoteLeaTarget(const uint8_t* at, uint64_t pc) {
  if (direction_ != RefDirection::kToAbsoluteMapped || (at[0] & 0xF8) != 0x48 || at[1] != 0x8D) return;
  uint64_t target = pc + static_cast<uint64_t>(int64_t{static_cast<int32_t>(Load32(at + 3))});
  if (target >= code_start_ && target < code_end_) return;
  if (table_bases_.size() < kMaxTableBases) table_bases_.push_back(target);
}

// 4-byte entries; an entry at a noted table base starts a table, which
// goes on while its entries point into the code.
size_t RefTransformer::StepJumpTables(const ScanRange& r, uint8_t* at, size_t window) {
  if (window < 4) return window;
  if (!tables_sorted_) {
    std::sort(table_bases_.begin(), table_bases_.end());
    table_bases_.erase(std::unique(table_bases_.begin(), table_bases_.end()), table_bases_.end());
    tables_sorted_ = true;
  }
  const uint64_t here = r.vaddr + (pos_ - r.offset);
  while (next_table_ < table_bases_.size() && table_bases_[next_table_] < here) ++next_table_;
  if (next_table_ < table_bases_.size() && table_bases_[next_table_] == here) {
    table_ = here;
    ++next_table_;
  }
  if (table_ == 0) return 4;
  uint64_t target = table_ + static_cast<uint64_t>(int64_t{static_cast<int32_t>(Load32(at))});
  if (target < code_start_ || target >= code_end_) {
    table_ = 0;  // the table ended
    return 4;
  }
  MapRelative(at, table_);
  return 4;
}

// A signed 32-bit value stored at address `where`, relative to it (or, in
// .eh_frame_hdr, to the table): where it points after the map, relative to
// where the map puts `where`.
void RefTransformer::MapRelative(uint8_t* field, uint64_t where) {
  const auto v = static_cast<int64_t>(static_cast<int32_t>(Load32(field)));
  const auto target = static_cast<int64_t>(where) + v;
  if (target < static_cast<int64_t>(layout_.image_start) || target >= static_cast<int64_t>(layout_.image_end))
    return;
  auto mapped = static_cast<int64_t>(map_->Map(static_cast<uint64_t>(target))) -
                static_cast<int64_t>(map_->Map(where));
  if (mapped >= INT32_MIN && mapped <= INT32_MAX) Store32(field, static_cast<uint32_t>(mapped));
}

// An FDE's start, stored relative to `where`: absolute (modulo 2^32) like a
// call's target, so it reads the same wherever the record moved.
void RefTransformer::RewriteFdeStart(uint8_t* field, uint64_t where) {
  const uint32_t v = Load32(field);
  const auto here = static_cast<uint32_t>(where);
  if (direction_ == RefDirection::kToRelative) {
    Store32(field, v - here);
    return;
  }
  uint64_t target = where + static_cast<uint64_t>(int64_t{static_cast<int32_t>(v)});
  if (direction_ == RefDirection::kToAbsoluteMapped && target >= layout_.image_start &&
      target < layout_.image_end)
    target = map_->Map(target);
  Store32(field, static_cast<uint32_t>(target));
}

size_t RefTransformer::StepSymbols(uint8_t* at, size_t window) {
  if (window < 24) return window;
  Store64(at + 8, MapPointer(Load64(at + 8)));  // st_value
  return 24;
}

// The 12-byte header as it is, then (initial location, FDE address) pairs
// relative to the header's address.
size_t RefTransformer::StepEhFrameHdr(const ScanRange& r, uint8_t* at, size_t window) {
  const uint64_t rel = pos_ - r.offset;
  if (rel < 12) return std::min<size_t>(window, static_cast<size_t>(12 - rel));
  if (window < 8) return window;
  MapRelative(at, r.vaddr);
  MapRelative(at + 4, r.vaddr);
  return 8;
}

// One record per step: a CIE tells how its FDEs store their start; an
// FDE's start is mapped when stored pc-relative as 4 bytes. The rest of a
// record is skipped.
size_t RefTransformer::StepEhFrame(const ScanRange& r, uint8_t* at, size_t window) {
  if (window < 8) return window;
  const uint32_t length = Load32(at);
  if (length == 0) return 4;  // a terminator
  if (length == UINT32_MAX) return window;  // 64-bit records: not walked further
  const uint64_t end = pos_ + 4 + length;
  skip_to_ = std::min(end, r.offset + r.size);
  // Only this record's bytes decide: the next one's may be rewritten
  // already (on the applier's side) or not yet (on the publisher's).
  const size_t record = static_cast<size_t>(std::min<uint64_t>(window, end - pos_));
  const uint32_t id = Load32(at + 4);
  if (id == 0) {
    if (cie_pcrel_.size() < kMaxCies) cie_pcrel_[pos_] = CieEncoding(ByteSpan(at, record)) == kPcrelSdata4;
  } else if (record >= 12 && id <= pos_ + 4) {
    auto cie = cie_pcrel_.find(pos_ + 4 - id);
    if (cie != cie_pcrel_.end() && cie->second) RewriteFdeStart(at + 8, r.vaddr + (pos_ + 8 - r.offset));
  }
  return record;
}

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
  const size_t field = X86FieldAt(at, window);
  if (field == 0) return 1;
  return RewriteX86At(r, at, field);
}

size_t RefTransformer::RewriteX86At(const ScanRange& r, uint8_t* at, size_t field) {
  uint64_t end = pos_ + field + 4;
  if (field == 3) NoteLeaTarget(at, r.vaddr + (end - r.offset));
  RewriteX86(at + field, r.vaddr + (end - r.offset));
  return field + 4;
}

// The low 12 bits of an address an ADRP named: ADD Xd, Xn, #lo12 and
// LDR/STR (unsigned offset, integer registers) Rt, [Xn, #lo12]. In a base,
// when Xn was set by an ADRP a few instructions before, the immediate is
// replaced by the low bits of the mapped target (pages move by amounts
// that are not multiples of 4 KiB, so these change with the ADRP). A
// wrong pairing only costs patch bytes: the base is never inverted.
void RefTransformer::MapArm64Lo12(uint8_t* at, uint32_t w, uint64_t pc) {
  uint32_t scale = 0;
  if ((w & 0xFFC00000) == 0x91000000) {          // ADD (immediate), 64-bit, no shift
  } else if ((w & 0x3FC00000) == 0x39400000 ||   // LDR/LDRB/LDRH (unsigned offset)
             (w & 0x3FC00000) == 0x39000000) {   // STR/STRB/STRH (unsigned offset)
    scale = w >> 30;
  } else {
    return;
  }
  const uint32_t rn = (w >> 5) & 31;
  if (adrp_at_[rn] == 0 || pc - (adrp_at_[rn] - 1) > kAdrpReach) return;
  const uint32_t imm = (w >> 10) & 0xFFF;
  const uint64_t target = adrp_page_[rn] + (uint64_t{imm} << scale);
  if (target < layout_.image_start || target >= layout_.image_end) return;
  const uint64_t lo = map_->Map(target) & 0xFFF;
  if (lo & ((1u << scale) - 1)) return;  // not addressable at this access size
  Store32(at, (w & ~(0xFFFu << 10)) | static_cast<uint32_t>(lo >> scale) << 10);
}

size_t RefTransformer::StepArm64(const ScanRange& r, uint8_t* at, size_t window) {
  if (window < 4) return window;  // a tail that is not a whole instruction
  uint32_t w = Load32(at);
  const uint64_t pc = r.vaddr + (pos_ - r.offset);
  if (direction_ == RefDirection::kToAbsoluteMapped) {
    if ((w & 0x9F000000) == 0x90000000) {  // ADRP: remember the page it names, unmapped
      const uint32_t rd = w & 31;
      const auto imm = static_cast<int64_t>(static_cast<int32_t>(GetImm(kArm64Fields[4], w) << 11) >> 11);
      adrp_page_[rd] = static_cast<uint64_t>((static_cast<int64_t>(pc >> 12) + imm) * 4096);
      adrp_at_[rd] = pc + 1;
    } else {
      MapArm64Lo12(at, w, pc);
    }
  }
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
  if (r.kind == ScanKind::kEhFrame) return StepEhFrame(r, at, window);
  // Data is rewritten in the base only; elsewhere it passes through.
  if (direction_ != RefDirection::kToAbsoluteMapped) return window;
  switch (r.kind) {
    case ScanKind::kPointers: return StepPointers(at, window);
    case ScanKind::kRela: return StepRela(at, window);
    case ScanKind::kSymbols: return StepSymbols(at, window);
    case ScanKind::kEhFrameHdr: return StepEhFrameHdr(r, at, window);
    case ScanKind::kJumpTables: return StepJumpTables(r, at, window);
    case ScanKind::kEhFrame:
    case ScanKind::kCode: break;
  }
  return window;
}

bool RefTransformer::ScanX86(const ScanRange& r, uint64_t end) {
  const uint64_t range_end = r.offset + r.size;
  const size_t look = Lookahead(machine_, r.kind);
  // The positions whose window (as Process computes it) is wholly in the
  // buffer: all of the range if it ends in the buffer, else those at least
  // a lookahead before the buffer's end.
  uint64_t stop = range_end;
  if (range_end > end) stop = end >= look ? end - look + 1 : 0;
  if (pos_ >= stop) return false;
  // Where a position's second byte is still in the buffer, both bytes are
  // checked at once; the last position of the buffer checks one.
  const std::array<bool, 65536>& pairs = X86PairTable();
  uint8_t* const buf = buf_.data();
  const uint64_t pair_stop = std::min(stop, end - 1);
  while (pos_ < stop) {
    const uint8_t* p = buf + (pos_ - buf_start_);
    const uint8_t* const pe = buf + (std::max(pos_, pair_stop) - buf_start_);
    while (p < pe && !pairs[p[0] | p[1] << 8]) ++p;
    pos_ = buf_start_ + static_cast<uint64_t>(p - buf);
    if (pos_ >= stop) break;
    uint8_t* at = buf + (pos_ - buf_start_);
    const size_t field = X86FieldAt(at, static_cast<size_t>(std::min<uint64_t>(range_end - pos_, look)));
    pos_ += field == 0 ? 1 : RewriteX86At(r, at, field);
  }
  return true;
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
    if (pos_ < r.offset || pos_ < skip_to_) {
      pos_ = std::min(std::max(r.offset, skip_to_), end);
      continue;
    }
    if (r.kind == ScanKind::kCode && machine_ == ElfMachine::kX86_64 && ScanX86(r, end)) continue;
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
  // A piece at a time: the buffer never holds a copy of a whole bsdiff block.
  for (size_t at = 0; at < chunk.size(); at += kFeedPiece) {
    ByteSpan piece = chunk.subspan(at, std::min(kFeedPiece, chunk.size() - at));
    buf_.insert(buf_.end(), piece.begin(), piece.end());
    LARCH_RETURN_IF_ERROR(Process(false));
  }
  return Status::Ok();
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
