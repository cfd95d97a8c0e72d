#include "common/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace turbine {
namespace {

// Every index of [0, n) is visited exactly once, ranges are non-empty and contiguous.
void expect_exact_cover(ThreadPool& pool, int64_t n) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  std::atomic<int> empty_ranges{0};
  pool.parallel_for(n, [&](int64_t begin, int64_t end) {
    if (begin >= end) empty_ranges.fetch_add(1);
    for (int64_t i = begin; i < end; ++i) hits[size_t(i)].fetch_add(1);
  });
  EXPECT_EQ(empty_ranges.load(), 0);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[size_t(i)].load(), 1) << "index " << i << " of " << n;
}

TEST(ThreadPool, CoversEveryIndexOnce) {
  for (int threads : {1, 2, 3, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.num_threads(), threads);
    for (int64_t n : {0, 1, 2, 3, 5, 7, 64, 1000, 100003}) expect_exact_cover(pool, n);
  }
}

TEST(ThreadPool, StaticContiguousPartition) {
  ThreadPool pool(3);
  std::vector<std::pair<int64_t, int64_t>> ranges(3, {-1, -1});
  std::atomic<int> calls{0};
  pool.parallel_for(10, [&](int64_t begin, int64_t end) {
    calls.fetch_add(1);
    ranges[begin == 0 ? 0 : begin == 3 ? 1 : 2] = {begin, end};  // parts start at 10 * p / 3
  });
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(ranges[0], std::make_pair(int64_t(0), int64_t(3)));
  EXPECT_EQ(ranges[1], std::make_pair(int64_t(3), int64_t(6)));
  EXPECT_EQ(ranges[2], std::make_pair(int64_t(6), int64_t(10)));
}

TEST(ThreadPool, WorkersShareTheParts) {
  ThreadPool pool(2);
  const auto caller = std::this_thread::get_id();
  std::atomic<int> parts_on_workers{0};
  // Parts long enough (~50 us) that a spinning or woken worker claims one of them.
  for (int round = 0; round < 200 && parts_on_workers.load() == 0; ++round) {
    pool.parallel_for(2, [&](int64_t, int64_t) {
      const auto start = std::chrono::steady_clock::now();
      while (std::chrono::steady_clock::now() - start < std::chrono::microseconds(50)) {
      }
      if (std::this_thread::get_id() != caller) parts_on_workers.fetch_add(1);
    });
  }
  EXPECT_GT(parts_on_workers.load(), 0);
}

// Back-to-back dispatches, each with its own short-lived context on the caller's stack: a late
// worker must never run a part of a finished job or read the next job's half-written state.
TEST(ThreadPool, ManySmallDispatches) {
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    int64_t total = 0;
    for (int d = 0; d < 20000; ++d) {
      const int64_t n = 1 + d % 7;
      std::atomic<int> hits[8] = {};
      pool.parallel_for(n, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) hits[i].fetch_add(1, std::memory_order_relaxed);
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "dispatch " << d << " index " << i;
      total += n;
    }
    EXPECT_GT(total, 0);
  }
}

TEST(ThreadPool, DispatchAfterWorkersFellAsleep) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // past the spin window
    pool.parallel_for(100, [&](int64_t begin, int64_t end) { sum.fetch_add(end - begin); });
  }
  EXPECT_EQ(sum.load(), 300);
}

TEST(ThreadPool, NestedCallRunsSerially) {
  ThreadPool pool(2);
  std::atomic<int64_t> inner{0};
  pool.parallel_for(4, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      pool.parallel_for(10, [&](int64_t b, int64_t e) { inner.fetch_add(e - b); });
    }
  });
  EXPECT_EQ(inner.load(), 40);
}

TEST(ThreadPool, ConcurrentCallersBothComplete) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  auto work = [&] {
    for (int i = 0; i < 2000; ++i) pool.parallel_for(8, [&](int64_t b, int64_t e) { sum.fetch_add(e - b); });
  };
  std::thread other(work);
  work();
  other.join();
  EXPECT_EQ(sum.load(), 2 * 2000 * 8);
}

TEST(ThreadPool, DefaultThreadCountIsPositive) {
  EXPECT_GE(ThreadPool::default_thread_count(), 1);
  ThreadPool pool;
  EXPECT_EQ(pool.num_threads(), ThreadPool::default_thread_count());
}

}  // namespace
}  // namespace turbine
