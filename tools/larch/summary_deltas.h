// File: tools/larch/summary_deltas.h
// The deltas a store offers, as summary entries (repo/delta finds them).
#pragma once

#include <vector>

#include "repo/objects/summary.h"
#include "repo/store.h"

namespace larch::cli {

Result<std::vector<repo::SummaryDelta>> DeltasOnOffer(const repo::Store& store);

}  // namespace larch::cli
