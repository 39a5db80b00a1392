// File: src/base/progress.h
// How a long operation (commit, checkout, delta generate, pull, apply)
// tells its caller how far along it is, LevelDB/zstd style: the library
// reports numbers through a callback and knows nothing of terminals; the
// CLI (tools/larch/progress.h) decides how to show them.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>

namespace larch {

struct Progress {
  std::string_view phase;  // "commit", "checkout", "delta", "download", ...
  uint64_t done = 0;       // bytes of the phase's work done
  uint64_t total = 0;      // bytes the phase will do; 0: not known
};

// Called often, from the thread doing the work (one call at a time); it
// must be cheap and throttle whatever it draws itself.
using ProgressFn = std::function<void(const Progress&)>;

// Counts bytes done from any number of worker threads and forwards them to
// a ProgressFn, one call at a time. A worker that finds another one
// reporting skips its report rather than wait: progress never serializes
// the work. A null fn makes every call a no-op.
class ProgressCounter {
 public:
  ProgressCounter(const ProgressFn& fn, std::string_view phase, uint64_t total)
      : fn_(fn), phase_(phase), total_(total) {}

  void Add(uint64_t bytes);
  // One last report (done as counted), even when the last Add was skipped.
  void Finish();
  // The work is over: reports done == total (a total counted in other
  // units than the Adds, such as a part's framing, still ends at 100%).
  void Complete();

 private:
  uint64_t Clamp(uint64_t done) const;

  const ProgressFn& fn_;
  std::string_view phase_;
  uint64_t total_;
  std::atomic<uint64_t> done_{0};
  std::mutex reporting_;
};

}  // namespace larch
