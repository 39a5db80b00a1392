#include "src/base/progress.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace larch {
namespace {

TEST(ProgressCounter, ReportsBytesOfTheTotal) {
  std::vector<Progress> seen;
  ProgressFn fn = [&](const Progress& p) { seen.push_back(p); };
  ProgressCounter counter(fn, "commit", 300);
  counter.Add(100);
  counter.Add(200);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].phase, "commit");
  EXPECT_EQ(seen[1].done, 300u);
  EXPECT_EQ(seen[1].total, 300u);
}

TEST(ProgressCounter, NeverReportsMoreThanTheTotal) {
  Progress last;
  ProgressFn fn = [&](const Progress& p) { last = p; };
  ProgressCounter counter(fn, "checkout", 100);
  counter.Add(150);
  EXPECT_EQ(last.done, 100u);
}

TEST(ProgressCounter, CompleteEndsAtTheTotal) {
  Progress last;
  ProgressFn fn = [&](const Progress& p) { last = p; };
  ProgressCounter counter(fn, "apply", 1000);
  counter.Add(990);  // a part's framing is in the total, not in the Adds
  counter.Complete();
  EXPECT_EQ(last.done, 1000u);
}

TEST(ProgressCounter, NullFnIsANoOp) {
  ProgressFn none;
  ProgressCounter counter(none, "commit", 10);
  counter.Add(5);
  counter.Finish();
}

TEST(ProgressCounter, ManyThreadsOneCallAtATimeAndTheLastCountsAll) {
  int inside = 0, overlaps = 0;
  Progress last;
  ProgressFn fn = [&](const Progress& p) {
    if (++inside > 1) ++overlaps;
    last = p;
    --inside;
  };
  ProgressCounter counter(fn, "commit", 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) counter.Add(1);
    });
  for (std::thread& t : threads) t.join();
  counter.Finish();
  EXPECT_EQ(overlaps, 0);
  EXPECT_EQ(last.done, 40000u);
}

}  // namespace
}  // namespace larch
