// ParallelFor: every index once, the first failure returned, no new work
// after it.
#include "src/base/parallel.h"

#include <atomic>
#include <vector>

#include <gtest/gtest.h>

namespace larch {
namespace {

TEST(ParallelFor, RunsEveryIndexOnce) {
  for (unsigned threads : {0u, 1u, 2u, 8u}) {
    std::vector<std::atomic<int>> seen(1000);
    Status s = ParallelFor(seen.size(), [&](size_t i) {
      seen[i].fetch_add(1);
      return Status::Ok();
    }, threads);
    ASSERT_TRUE(s.ok()) << s.ToString();
    for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i].load(), 1) << "index " << i << ", threads " << threads;
  }
}

TEST(ParallelFor, NothingToDo) {
  bool called = false;
  EXPECT_TRUE(ParallelFor(0, [&](size_t) {
    called = true;
    return Status::Ok();
  }, 4).ok());
  EXPECT_FALSE(called);
}

TEST(ParallelFor, ReturnsAFailureAndStopsHandingOutWork) {
  std::atomic<size_t> calls{0};
  Status s = ParallelFor(100000, [&](size_t i) {
    calls.fetch_add(1);
    return i == 10 ? Status::Corruption("index 10") : Status::Ok();
  }, 4);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_EQ(s.message(), "index 10");
  // Workers may finish the index they hold, but do not run the rest.
  EXPECT_LT(calls.load(), 100000u);
}

TEST(ParallelFor, OneThreadStopsAtTheFirstFailure) {
  std::vector<size_t> order;
  Status s = ParallelFor(10, [&](size_t i) {
    order.push_back(i);
    return i == 3 ? Status::NotFound("three") : Status::Ok();
  }, 1);
  EXPECT_EQ(s.message(), "three");
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace larch
