// File: repo/delta/elf_patch_header.h
//
// The head of an ELF patch (docs/formats.md, "ELF patch"): what the
// applier needs before the bsdiff blocks to rebuild the rewritten base and
// undo the rewrite of the output. Layout:
//   "LXEF" | u8 version (1) | u8 machine (1 x86-64, 2 AArch64) |
//   layout of the base | layout of the target |
//   u32 anchor count | u32 anchor bytes | anchors | bsdiff blocks (bsdiff.h)
// A layout is u64 image start | u64 image end | u32 range count |
// per range: u8 kind | u64 offset | u64 size | u64 vaddr. Anchors are
// LEB128 varints, per anchor: the old address minus the previous one's (the
// first: minus 0; then at least 1) and the zigzag-coded change of shift
// from the previous anchor's (the first: from 0; never 0).
#pragma once

#include <cstdint>
#include <vector>

#include "repo/delta/byte_source.h"
#include "repo/delta/elf_address_map.h"
#include "repo/delta/elf_refs.h"
#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::delta {

struct ElfPatchHeader {
  ElfMachine machine = ElfMachine::kX86_64;
  ScanLayout base, target;
  std::vector<AddressAnchor> anchors;
  bool operator==(const ElfPatchHeader&) const = default;
};

Bytes EncodeElfPatchHeader(const ElfPatchHeader& header);
// Reads exactly the header from `patch`, strictly (kCorruption): layouts
// checked against the files' sizes (CheckLayout), anchors in order, no
// redundant anchor, canonical varints, nothing left in the anchor bytes.
Result<ElfPatchHeader> ReadElfPatchHeader(ByteSource& patch, uint64_t base_size, uint64_t target_size);

}  // namespace larch::delta
