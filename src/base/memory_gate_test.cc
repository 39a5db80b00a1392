// File: src/base/memory_gate_test.cc
#include "src/base/memory_gate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace larch {
namespace {

// Runs tasks of the given costs on their own threads, each holding its pass
// for a while, and returns the most memory the gate ever let in at once.
uint64_t PeakOf(MemoryGate& gate, const std::vector<uint64_t>& costs) {
  std::atomic<uint64_t> now{0}, peak{0};
  std::vector<std::thread> threads;
  for (uint64_t cost : costs) {
    threads.emplace_back([&, cost] {
      MemoryGate::Pass pass(gate, cost);
      uint64_t v = now += cost;
      uint64_t p = peak.load();
      while (v > p && !peak.compare_exchange_weak(p, v)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      now -= cost;
    });
  }
  for (std::thread& t : threads) t.join();
  return peak.load();
}

TEST(MemoryGateTest, SmallTasksRunTogetherWithinTheLimit) {
  MemoryGate gate(100);
  EXPECT_EQ(PeakOf(gate, {30, 30, 30}), 90u);  // all three at once
  EXPECT_EQ(gate.in_use(), 0u);
}

TEST(MemoryGateTest, TasksThatDoNotFitTogetherTakeTurns) {
  MemoryGate gate(100);
  EXPECT_LE(PeakOf(gate, {60, 60, 60, 60}), 100u);
  EXPECT_EQ(gate.in_use(), 0u);
}

TEST(MemoryGateTest, ATaskOverTheLimitRunsAloneInsteadOfNever) {
  MemoryGate gate(100);
  EXPECT_EQ(PeakOf(gate, {250}), 250u);
  EXPECT_LE(PeakOf(gate, {250, 250, 10}), 250u);  // never two of them, nor one with the small one
}

}  // namespace
}  // namespace larch
