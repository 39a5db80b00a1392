// File: repo/delta/elf_address_map.cc
#include "repo/delta/elf_address_map.h"

#include <algorithm>

namespace larch::delta {

namespace {
// A shorter match is as likely to be a coincidence (padding, a common
// instruction sequence) as the place the code moved to.
constexpr uint64_t kMinAnchorRun = 64;
}  // namespace

uint64_t AddressMap::Map(uint64_t old_vaddr) const {
  auto it = std::upper_bound(anchors_.begin(), anchors_.end(), old_vaddr,
                             [](uint64_t v, const AddressAnchor& a) { return v < a.old_vaddr; });
  if (it == anchors_.begin()) return old_vaddr;
  return old_vaddr + static_cast<uint64_t>(std::prev(it)->shift);
}

std::vector<AddressAnchor> AnchorsFromMatches(const std::vector<BsdiffMatch>& matches,
                                              const ElfImage& base, const ElfImage& target) {
  std::vector<AddressAnchor> all;
  for (const BsdiffMatch& m : matches) {
    if (m.length < kMinAnchorRun) continue;
    std::optional<uint64_t> from = base.VaddrOf(m.base_offset);
    std::optional<uint64_t> to = target.VaddrOf(m.target_offset);
    if (!from || !to || *from >= kMaxAnchorAddress || *to >= kMaxAnchorAddress) continue;
    all.push_back({*from, static_cast<int64_t>(*to - *from)});
  }
  // Equal old addresses: the first match (in target order) wins.
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
