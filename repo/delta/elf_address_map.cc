// File: repo/delta/elf_address_map.cc
#include "repo/delta/elf_address_map.h"

#include <algorithm>

namespace larch::delta {

namespace {
// A shorter match is as likely to be a coincidence (padding, a common
// instruction sequence) as the place the code moved to.
constexpr uint64_t kMinAnchorRun = 64;
// ... and so is a run of a few byte values (zeros, padding).
constexpr int kMinDistinctBytes = 8;
}  // namespace

uint64_t AddressMap::Map(uint64_t old_vaddr) const {
  auto it = std::upper_bound(anchors_.begin(), anchors_.end(), old_vaddr,
                             [](uint64_t v, const AddressAnchor& a) { return v < a.old_vaddr; });
  if (it == anchors_.begin()) return old_vaddr;
  return old_vaddr + static_cast<uint64_t>(std::prev(it)->shift);
}

namespace {

// The loaded sections of both files, paired by index, when the two have
// the same sections (same count, types and flags, in the same order).
std::vector<std::pair<const ElfSection*, const ElfSection*>> PairSections(const ElfImage& base,
                                                                            const ElfImage& target) {
  std::vector<std::pair<const ElfSection*, const ElfSection*>> pairs;
  if (base.sections.size() != target.sections.size()) return pairs;
  for (size_t i = 0; i < base.sections.size(); ++i) {
    const ElfSection &a = base.sections[i], &b = target.sections[i];
    if (a.type != b.type || a.flags != b.flags) return {};
    if ((a.flags & kShfAlloc) != 0 && a.vaddr < kMaxAnchorAddress && b.vaddr < kMaxAnchorAddress)
      pairs.emplace_back(&a, &b);
  }
  return pairs;
}

bool Varied(ByteSpan run) {
  bool seen[256] = {};
  int distinct = 0;
  for (size_t i = 0; i < std::min<size_t>(run.size(), kMinAnchorRun); ++i)
    if (!seen[run[i]]) {
      seen[run[i]] = true;
      ++distinct;
    }
  return distinct >= kMinDistinctBytes;
}

// With sections paired: whether old and new lie in the same section.
bool SameSection(const std::vector<std::pair<const ElfSection*, const ElfSection*>>& pairs,
                 uint64_t from, uint64_t to) {
  if (pairs.empty()) return true;
  for (const auto& [a, b] : pairs)
    if (from >= a->vaddr && from - a->vaddr < a->size) return to >= b->vaddr && to - b->vaddr < b->size;
  return false;
}

}  // namespace

std::vector<AddressAnchor> MakeAnchors(const std::vector<BsdiffMatch>& matches, ByteSpan base_bytes,
                                       const ElfImage& base, const ElfImage& target,
                                       const std::vector<AddressAnchor>& symbols) {
  std::vector<AddressAnchor> all;
  auto pairs = PairSections(base, target);
  for (const auto& [a, b] : pairs) all.push_back({a->vaddr, static_cast<int64_t>(b->vaddr - a->vaddr)});
  for (const AddressAnchor& s : symbols)
    if (SameSection(pairs, s.old_vaddr, s.old_vaddr + static_cast<uint64_t>(s.shift))) all.push_back(s);
  for (const BsdiffMatch& m : matches) {
    if (m.length < kMinAnchorRun || m.base_offset > base_bytes.size() ||
        !Varied(base_bytes.subspan(static_cast<size_t>(m.base_offset))))
      continue;
    std::optional<uint64_t> from = base.VaddrOf(m.base_offset);
    std::optional<uint64_t> to = target.VaddrOf(m.target_offset);
    if (!from || !to || *from >= kMaxAnchorAddress || *to >= kMaxAnchorAddress) continue;
    if (!SameSection(pairs, *from, *to)) continue;
    all.push_back({*from, static_cast<int64_t>(*to - *from)});
  }
  // Equal old addresses: a section start, else the first match (in target
  // order), wins.
  std::stable_sort(all.begin(), all.end(), [](const AddressAnchor& a, const AddressAnchor& b) {
    return a.old_vaddr < b.old_vaddr;
  });
  std::vector<AddressAnchor> kept;
  int64_t shift = 0;
  for (const AddressAnchor& a : all) {
    if (!kept.empty() && kept.back().old_vaddr == a.old_vaddr) continue;
    if (a.shift == shift) continue;  // implied by the anchor before
    kept.push_back(a);
    shift = a.shift;
    if (kept.size() == kMaxAddressAnchors) break;
  }
  return kept;
}

}  // namespace larch::delta
