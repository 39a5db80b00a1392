// File: tools/larch/summary_deltas.cc
#include "tools/larch/summary_deltas.h"

#include "repo/delta/list_deltas.h"

namespace larch::cli {

Result<std::vector<repo::SummaryDelta>> DeltasOnOffer(const repo::Store& store) {
  LARCH_ASSIGN_OR_RETURN(std::vector<delta::DeltaInfo> found, delta::ListDeltas(store));
  std::vector<repo::SummaryDelta> out;
  for (const delta::DeltaInfo& d : found) out.push_back({d.from, d.to, d.superblock_size, d.superblock_sha256});
  return out;
}

}  // namespace larch::cli
