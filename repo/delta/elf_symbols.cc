// File: repo/delta/elf_symbols.cc
#include "repo/delta/elf_symbols.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace larch::delta {

namespace {

constexpr size_t kSymSize = 24;
constexpr uint8_t kSttObject = 1, kSttFunc = 2;

uint64_t Le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

// Defined functions and objects by name, from every symbol table of `image`.
std::unordered_map<std::string_view, uint64_t> Symbols(ByteSpan file, const ElfImage& image) {
  std::unordered_map<std::string_view, uint64_t> out;
  for (const ElfSection& table : image.sections) {
    if ((table.type != kShtDynsym && table.type != kShtSymtab) || table.entry_size != kSymSize) continue;
    if (table.link >= image.section_at.size() || image.section_at[table.link] == 0) continue;
    const ElfSection& strings = image.sections[image.section_at[table.link] - 1];
    std::string_view names(reinterpret_cast<const char*>(file.data() + strings.offset),
                           static_cast<size_t>(strings.size));
    for (uint64_t at = table.offset; at + kSymSize <= table.offset + table.size; at += kSymSize) {
      const uint8_t* sym = file.data() + at;
      uint32_t name = static_cast<uint32_t>(Le64(sym) & 0xFFFFFFFF);
      uint8_t type = sym[4] & 0xF;
      uint16_t shndx = static_cast<uint16_t>(sym[6] | sym[7] << 8);
      uint64_t value = Le64(sym + 8);
      if ((type != kSttFunc && type != kSttObject) || shndx == 0 || value == 0 || name >= names.size())
        continue;
      std::string_view n = names.substr(name);
      n = n.substr(0, n.find('\0'));
      if (!n.empty()) out.emplace(n, value);
    }
  }
  return out;
}

bool Loaded(const ElfImage& image, uint64_t vaddr) {
  return std::any_of(image.loads.begin(), image.loads.end(), [&](const ElfSegment& s) {
    return vaddr >= s.vaddr && vaddr - s.vaddr < s.mem_size;
  });
}

}  // namespace

std::vector<AddressAnchor> SymbolAnchors(ByteSpan base, const ElfImage& base_image, ByteSpan target,
                                         const ElfImage& target_image) {
  auto old_symbols = Symbols(base, base_image);
  auto new_symbols = Symbols(target, target_image);
  std::vector<AddressAnchor> out;
  for (const auto& [name, from] : old_symbols) {
    auto it = new_symbols.find(name);
    if (it == new_symbols.end()) continue;
    uint64_t to = it->second;
    if (from >= kMaxAnchorAddress || to >= kMaxAnchorAddress || !Loaded(base_image, from) ||
        !Loaded(target_image, to))
      continue;
    out.push_back({from, static_cast<int64_t>(to - from)});
  }
  std::sort(out.begin(), out.end(), [](const AddressAnchor& a, const AddressAnchor& b) {
    return a.old_vaddr < b.old_vaddr || (a.old_vaddr == b.old_vaddr && a.shift < b.shift);
  });
  return out;
}

}  // namespace larch::delta
