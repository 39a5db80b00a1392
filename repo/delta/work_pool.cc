// File: repo/delta/work_pool.cc
#include "repo/delta/work_pool.h"

namespace larch::delta {

WorkPool::WorkPool(unsigned threads, uint64_t budget) : budget_(budget) {
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

WorkPool::~WorkPool() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return pending_ == 0; });
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void WorkPool::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping
    Job job = std::move(queue_.front());
    queue_.pop_front();
    bool skip = !error_.ok();
    lock.unlock();
    Status s = skip ? Status::Ok() : job.task();
    job.task = nullptr;  // free what it held before taking the lock
    lock.lock();
    if (!s.ok() && error_.ok()) error_ = s;
    in_flight_ -= job.cost;
    --pending_;
    cv_.notify_all();
  }
}

Status WorkPool::Submit(uint64_t cost, std::function<Status()> task) {
  if (threads_.empty()) {
    if (!error_.ok()) return error_;
    error_ = task();
    return error_;
  }
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !error_.ok() || pending_ == 0 || in_flight_ + cost <= budget_; });
  if (!error_.ok()) return error_;
  in_flight_ += cost;
  ++pending_;
  queue_.push_back({cost, std::move(task)});
  cv_.notify_all();
  return Status::Ok();
}

Status WorkPool::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return pending_ == 0; });
  return error_;
}

void WorkPool::SetBudget(uint64_t budget) {
  std::lock_guard<std::mutex> lock(mu_);
  budget_ = budget;
}

uint64_t WorkPool::budget() {
  std::lock_guard<std::mutex> lock(mu_);
  return budget_;
}

}  // namespace larch::delta
