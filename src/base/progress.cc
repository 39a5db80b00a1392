#include "src/base/progress.h"

namespace larch {

// A total taken from metadata (a commit's content-size) can be below what
// is done when the work counts something twice (a hard-link checkout links
// each path of one inode): never report more than 100%.
uint64_t ProgressCounter::Clamp(uint64_t done) const { return total_ > 0 && done > total_ ? total_ : done; }

void ProgressCounter::Add(uint64_t bytes) {
  if (!fn_) return;
  const uint64_t done = done_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  std::unique_lock lock(reporting_, std::try_to_lock);
  if (lock.owns_lock()) fn_({phase_, Clamp(done), total_});
}

void ProgressCounter::Finish() {
  if (!fn_) return;
  std::lock_guard lock(reporting_);
  fn_({phase_, Clamp(done_.load(std::memory_order_relaxed)), total_});
}

void ProgressCounter::Complete() {
  done_.store(total_, std::memory_order_relaxed);
  Finish();
}

}  // namespace larch
