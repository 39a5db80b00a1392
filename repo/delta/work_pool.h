// File: repo/delta/work_pool.h
//
// WorkPool: runs tasks on a few threads while the caller keeps decoding the
// next ones, with a memory budget. Applying a delta is bound by filesystem
// latency (each object is a create, write, chown, chmod, close and later a
// rename), so a few objects in flight at once overlap those waits; the
// budget keeps the sum of what in-flight tasks hold (patch, base, target)
// bounded, so apply's peak memory stays independent of the tree.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "src/base/status.h"

namespace larch::delta {

class WorkPool {
 public:
  // threads == 0 runs every task inline in Submit (deterministic order).
  WorkPool(unsigned threads, uint64_t budget);
  ~WorkPool();  // waits for running tasks
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Waits until `cost` fits in the budget (a task above the whole budget
  // waits until nothing else is in flight), then queues `task`. Returns the
  // first error any task returned so far, without queuing more work then.
  Status Submit(uint64_t cost, std::function<Status()> task);
  // Waits for every queued task; the first error, if any.
  Status Wait();
  // The budget for what is submitted from now on (the applier sets it per
  // part, when the pool is idle, from the memory the part's decoder needs).
  void SetBudget(uint64_t budget);
  uint64_t budget();
  // Whether tasks run beside the caller (threads > 0).
  bool parallel() const { return !threads_.empty(); }

 private:
  struct Job {
    uint64_t cost;
    std::function<Status()> task;
  };
  void Work();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  std::vector<std::thread> threads_;
  uint64_t budget_;
  uint64_t in_flight_ = 0;  // cost of queued and running jobs
  size_t pending_ = 0;      // queued and running jobs
  Status error_;
  bool stop_ = false;
};

}  // namespace larch::delta
