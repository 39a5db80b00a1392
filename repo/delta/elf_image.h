// File: repo/delta/elf_image.h
//
// The little the ELF delta engine needs to know about an executable: its
// machine, where its loadable segments and its sections lie in the file and
// in memory. Only ELF64 little-endian for x86-64 or AArch64 is accepted;
// every header, table and range is bounds-checked against the file. Any
// other input, valid ELF or not, is kUnsupported: the caller falls back to
// an engine that treats the file as plain bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::delta {

enum class ElfMachine : uint8_t {
  kX86_64 = 1,
  kAArch64 = 2,
};

struct ElfSegment {  // a PT_LOAD program header
  uint64_t offset = 0, file_size = 0, vaddr = 0, mem_size = 0;
  bool executable = false;
};

struct ElfSection {  // a section with bytes in the file (not SHT_NOBITS)
  uint32_t type = 0;
  uint64_t flags = 0;
  uint64_t offset = 0, size = 0, vaddr = 0, entry_size = 0;
  uint32_t link = 0;  // the index of a symbol table's string table
};

// Section types and flags the engine looks at.
inline constexpr uint32_t kShtProgbits = 1;
inline constexpr uint32_t kShtSymtab = 2;
inline constexpr uint32_t kShtRela = 4;
inline constexpr uint32_t kShtDynsym = 11;
inline constexpr uint32_t kShtInitArray = 14;
inline constexpr uint32_t kShtFiniArray = 15;
inline constexpr uint64_t kShfWrite = 0x1;
inline constexpr uint64_t kShfAlloc = 0x2;
inline constexpr uint64_t kShfExecInstr = 0x4;

struct ElfImage {
  ElfMachine machine = ElfMachine::kX86_64;
  std::vector<ElfSegment> loads;
  std::vector<ElfSection> sections;
  // By section index (0 for SHT_NULL and SHT_NOBITS sections): where in
  // `sections` each one is, +1.
  std::vector<uint32_t> section_at;
  // The PT_GNU_EH_FRAME segment (.eh_frame_hdr), if any.
  std::optional<ElfSegment> eh_frame_hdr;

  // The address `offset` is loaded at, if a PT_LOAD covers it.
  std::optional<uint64_t> VaddrOf(uint64_t offset) const;
  // The lowest and one past the highest address the loads occupy.
  uint64_t ImageStart() const;
  uint64_t ImageEnd() const;
};

Result<ElfImage> ParseElf(ByteSpan file);

}  // namespace larch::delta
