// File: repo/delta/elf_address_map.h
//
// Where the code and data of an old ELF file went in the new one: sorted
// anchors (old address, shift), each saying that from its old address up to
// the next anchor, things moved by `shift` bytes. The publisher derives the
// anchors from the sections, the symbols both files define and bsdiff's
// alignment of the raw files (a run of the base that matches a run of the
// target gives the local shift); the patch carries
// them; the applier maps every reference target in the base through them,
// so references into unchanged code read the same in the mapped base as in
// the target, whatever moved in between.
#pragma once

#include <cstdint>
#include <vector>

#include "repo/delta/bsdiff.h"
#include "repo/delta/elf_image.h"

namespace larch::delta {

struct AddressAnchor {
  uint64_t old_vaddr = 0;
  int64_t shift = 0;
  bool operator==(const AddressAnchor&) const = default;
};

// The applier holds the anchors while it maps the base: 16 bytes each.
inline constexpr uint32_t kMaxAddressAnchors = 1u << 19;
// Addresses and shifts stay well inside int64 arithmetic.
inline constexpr uint64_t kMaxAnchorAddress = 1ull << 48;

class AddressMap {
 public:
  // `anchors`: old_vaddr strictly increasing, each below kMaxAnchorAddress,
  // |shift| below it too (the patch decoder checks).
  explicit AddressMap(std::vector<AddressAnchor> anchors) : anchors_(std::move(anchors)) {}
  // `old_vaddr` moved by the shift of the last anchor at or before it;
  // unchanged before the first anchor.
  uint64_t Map(uint64_t old_vaddr) const;

 private:
  std::vector<AddressAnchor> anchors_;
};

// The anchors for a base and target: one at the start of each loaded
// section where both files have the same sections (the linker's own
// layout), one per symbol defined in both (elf_symbols.h), then the
// matched runs of a bsdiff patch of base against target (all a stripped
// file without .dynsym has). A run is trusted only when it is long, not a stretch of a few
// repeated byte values (zeros match zeros anywhere) and, with sections
// paired, inside the same section in both files. Only the points where the
// shift changes are kept.
// `symbols`: from SymbolAnchors, trusted next after section starts.
std::vector<AddressAnchor> MakeAnchors(const std::vector<BsdiffMatch>& matches, ByteSpan base_bytes,
                                       const ElfImage& base, const ElfImage& target,
                                       const std::vector<AddressAnchor>& symbols);

}  // namespace larch::delta
