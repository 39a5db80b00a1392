// File: repo/delta/elf_refs.h
//
// The ELF engine's rewrite of references. A call, jump or address
// computation names its target relative to where it sits, so when code
// moves, every such field after the change differs even though the code
// did not. Rewriting each field to the absolute target it names (as xz's
// branch filters do) makes unchanged code byte-identical again as long as
// its targets did not move; mapping the base's targets through the address
// map (elf_address_map.h) covers the targets that did. Rewrites:
//   - x86-64 code: the rel32 of call (E8), jmp (E9), jcc (0F 8x) and the
//     disp32 of one- and two-byte opcodes with a RIP-relative ModRM
//     operand (loads, stores, lea, ALU, SSE moves, call/jmp through
//     memory), with or without a REX prefix. Found by a scan (x86 has
//     no alignment): a byte that looks like one of those opcodes is taken
//     as one. The field becomes a bijection of its value (X86ToAbsolute),
//     so a wrong guess is undone exactly by the inverse;
//   - AArch64 code (exact: instructions are 4-byte words): B, BL, B.cond,
//     CBZ/CBNZ, TBZ/TBNZ, ADRP, each immediate replaced by the target (or
//     target page) modulo the field's width; in a base also the low 12
//     bits an ADD or LDR/STR adds to a recent ADRP's page (mapped);
//   - in a base only (never inverted), mapped when they point into the
//     image: 8-byte pointers in writable data (.data.rel.ro, .got, init
//     arrays), the offset and addend of RELA relocations, symbol values
//     (.dynsym, .symtab) and the .eh_frame_hdr search table (addresses
//     relative to the table: a value becomes map(table + value) -
//     map(table), what it is in the target when both moved as the map
//     says);
//   - in an x86 base's read-only data, switch tables: where code takes the
//     address of read-only data with lea, entries from there on that
//     point into the code relative to that address (GCC's PIC tables) are
//     mapped like the .eh_frame_hdr table. The bases are collected while
//     the code is rewritten, which comes first in the file;
//   - in .eh_frame, each FDE's start address (stored relative to itself)
//     becomes absolute, like a call's target. The walk from record to
//     record reads only lengths and CIEs, which it does not change.
// The scan's decisions depend only on bytes it does not rewrite, so the
// applier undoes the rewrite on the patched output as it streams, with a
// few bytes of lookahead.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "repo/delta/elf_address_map.h"
#include "repo/delta/elf_image.h"
#include "src/base/bytes.h"
#include "src/base/result.h"
#include "src/compress/zstd_stream.h"

namespace larch::delta {

enum class ScanKind : uint8_t {
  kCode = 1,      // references in machine code
  kPointers = 2,  // 8-byte pointers (base only)
  kRela = 3,      // Elf64_Rela entries (base only)
  kSymbols = 4,   // Elf64_Sym entries (base only)
  kEhFrameHdr = 5,  // .eh_frame_hdr with a datarel sdata4 table (base only)
  kEhFrame = 6,     // .eh_frame records
  kJumpTables = 7,  // read-only data holding x86 switch tables (base only)
};

struct ScanRange {
  ScanKind kind = ScanKind::kCode;
  uint64_t offset = 0, size = 0, vaddr = 0;
  bool operator==(const ScanRange&) const = default;
};

// What the rewrite needs to know of one file: the span of addresses its
// loads occupy (targets inside it are references) and the ranges to scan,
// sorted by offset, not overlapping.
struct ScanLayout {
  uint64_t image_start = 0, image_end = 0;
  std::vector<ScanRange> ranges;
  bool operator==(const ScanLayout&) const = default;
};

inline constexpr uint32_t kMaxScanRanges = 4096;
inline constexpr uint8_t kMaxScanKind = 7;
// x86-64 references are 32-bit: the image must lie below 2 GiB.
inline constexpr uint64_t kX86ImageLimit = 1ull << 31;

// The layout of `image` (parsed from `file`); a base's includes its data
// ranges. kUnsupported when the image does not fit the rewrite's limits.
Result<ScanLayout> LayoutOf(const ElfImage& image, ByteSpan file, bool base);
// The decoder's rules for a layout of a file of `file_size` bytes
// (kCorruption): sorted, disjoint, inside the file and the limits above; a
// target's ranges are code only.
Status CheckLayout(const ScanLayout& layout, ElfMachine machine, uint64_t file_size, bool base);

enum class RefDirection {
  kToAbsolute,        // the target, before diffing
  kToAbsoluteMapped,  // the base, targets mapped old -> new
  kToRelative,        // the inverse of kToAbsolute, on the patched output
};

// Rewrites a file streamed through it, in order, handing the result to
// `out` (with a delay of at most a few dozen bytes).
class RefTransformer {
 public:
  // `map` only for kToAbsoluteMapped; layout and map must outlive this.
  RefTransformer(ElfMachine machine, const ScanLayout& layout, RefDirection direction,
                 const AddressMap* map, compress::Sink out);
  Status Feed(ByteSpan chunk);
  // The end of the file: hands on what is held back.
  Status Finish();

 private:
  size_t Step(const ScanRange& r, uint8_t* at, size_t window);
  size_t StepX86(const ScanRange& r, uint8_t* at, size_t window);
  // Rewrites the reference whose disp32 starts `field` bytes after `at`
  // (at pos_); returns its length.
  size_t RewriteX86At(const ScanRange& r, uint8_t* at, size_t field);
  // Steps through x86 code in `r` as far as the buffer (ending at file
  // offset `end`) allows, skipping bytes no reference starts at; false
  // when it could not move (Process then takes the byte-at-a-time path).
  bool ScanX86(const ScanRange& r, uint64_t end);
  size_t StepArm64(const ScanRange& r, uint8_t* at, size_t window);
  void MapArm64Lo12(uint8_t* at, uint32_t w, uint64_t pc);
  size_t StepPointers(uint8_t* at, size_t window);
  size_t StepRela(uint8_t* at, size_t window);
  size_t StepSymbols(uint8_t* at, size_t window);
  size_t StepEhFrameHdr(const ScanRange& r, uint8_t* at, size_t window);
  size_t StepEhFrame(const ScanRange& r, uint8_t* at, size_t window);
  size_t StepJumpTables(const ScanRange& r, uint8_t* at, size_t window);
  void NoteLeaTarget(const uint8_t* at, uint64_t pc);
  void MapRelative(uint8_t* field, uint64_t where);
  void RewriteFdeStart(uint8_t* field, uint64_t where);
  void RewriteX86(uint8_t* field, uint64_t pc);
  uint64_t MapPointer(uint64_t v) const;
  Status Process(bool final);

  ElfMachine machine_;
  const ScanLayout& layout_;
  RefDirection direction_;
  const AddressMap* map_;
  compress::Sink out_;
  Bytes buf_;             // bytes from file offset buf_start_ not yet handed on
  uint64_t buf_start_ = 0;
  uint64_t pos_ = 0;      // the next byte to decide on
  size_t range_ = 0;      // the first range that does not end before pos_
  uint64_t skip_to_ = 0;  // the rest of an .eh_frame record, left as it is
  // .eh_frame CIEs (by file offset) whose FDEs store their start pc-relative.
  std::map<uint64_t, bool> cie_pcrel_;
  // Switch table candidates: lea targets outside the code (sorted when the
  // first jump table range is reached), the next one to meet, the table
  // being read (0: none) and the code's span its entries point into.
  std::vector<uint64_t> table_bases_;
  bool tables_sorted_ = false;
  size_t next_table_ = 0;
  uint64_t table_ = 0;
  uint64_t code_start_ = UINT64_MAX, code_end_ = 0;
  // AArch64 base: the page each register's last ADRP named, and where that
  // ADRP was (+ 1; 0: none), for the ADD/LDR/STR that add the low bits.
  std::array<uint64_t, 32> adrp_page_{}, adrp_at_{};
  static constexpr uint64_t kAdrpReach = 64;  // bytes after the ADRP (16 instructions)
};

// The whole file at once (the publisher; the in-memory applier).
Result<Bytes> TransformRefs(ElfMachine machine, const ScanLayout& layout, RefDirection direction,
                            const AddressMap* map, ByteSpan file);

// The x86 field rewrite, exposed for its bijection test: value `s` of a
// field ending at address `pc` (> 0) in an image [lo, hi). A value whose
// target pc + s lies in the image becomes that target; the values that
// would collide with targets are moved into the space the targets freed.
int64_t X86ToAbsolute(int64_t s, int64_t pc, int64_t lo, int64_t hi);
int64_t X86ToRelative(int64_t y, int64_t pc, int64_t lo, int64_t hi);

}  // namespace larch::delta
