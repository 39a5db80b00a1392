// File: src/base/parallel.h
// ParallelFor: run fn(i) for i in [0, n) on up to `threads` threads and
// return the first error. Commit, fsck and checkout hash and compress on
// every core with it; each task must be independent.
#pragma once

#include <cstddef>
#include <functional>

#include "src/base/status.h"

namespace larch {

// threads == 0 means std::thread::hardware_concurrency(). Stops handing out
// new indices after the first failure; returns that failure.
Status ParallelFor(size_t n, const std::function<Status(size_t)>& fn, unsigned threads = 0);

}  // namespace larch
