// File: repo/delta/elf_symbols.h
//
// Where named functions and objects went: the value of each symbol defined
// in both files under the same name (.dynsym, which stripped Debian
// libraries keep, and .symtab when present). Each gives the exact shift at
// the start of a function or object, which the address map (elf_address_map.h)
// uses alongside bsdiff's alignment.
#pragma once

#include <vector>

#include "repo/delta/elf_address_map.h"
#include "repo/delta/elf_image.h"
#include "src/base/bytes.h"

namespace larch::delta {

// (old value, new value - old value) per symbol in both, sorted by old
// value; symbols whose value is not in a loaded segment are left out.
std::vector<AddressAnchor> SymbolAnchors(ByteSpan base, const ElfImage& base_image, ByteSpan target,
                                         const ElfImage& target_image);

}  // namespace larch::delta
