// File: src/base/memory_gate.h
// MemoryGate: lets parallel tasks that each need a lot of memory run
// together only while their estimated needs add up to at most a limit. A
// task bigger than the limit alone still runs, but alone: the gate never
// deadlocks, it only serialises. Delta generation patches big files under
// it: one 300 MB pair takes about 2.5 GB, three 18 MB ones fit together.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace larch {

class MemoryGate {
 public:
  explicit MemoryGate(uint64_t limit) : limit_(limit) {}

  // Held while the task runs; released when it goes out of scope.
  class Pass {
   public:
    Pass(MemoryGate& gate, uint64_t cost) : gate_(gate), cost_(cost) { gate_.Acquire(cost_); }
    ~Pass() { gate_.Release(cost_); }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;

   private:
    MemoryGate& gate_;
    uint64_t cost_;
  };

  uint64_t in_use() const {
    std::lock_guard<std::mutex> lock(mu_);
    return in_use_;
  }

 private:
  void Acquire(uint64_t cost) {
    std::unique_lock<std::mutex> lock(mu_);
    // Alone always fits; together only within the limit.
    cv_.wait(lock, [&] { return in_use_ == 0 || in_use_ + cost <= limit_; });
    in_use_ += cost;
  }
  void Release(uint64_t cost) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_use_ -= cost;
    }
    cv_.notify_all();
  }

  const uint64_t limit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t in_use_ = 0;
};

}  // namespace larch
