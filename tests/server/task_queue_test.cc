// TaskQueue's lanes: large tasks never take every worker, small ones go first, and destruction
// still runs everything queued.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "server/task_queue.h"

namespace turbine::server {
namespace {

using namespace std::chrono_literals;

// A gate the large tasks wait at, so the test decides when they finish.
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return open; });
  }
  void release() {
    {
      std::lock_guard lock(mutex);
      open = true;
    }
    cv.notify_all();
  }
};

TEST(TaskQueue, SmallTasksRunWhileLargeOnesHoldAWorker) {
  Gate gate;
  std::atomic<int> large_running{0}, most_large_running{0}, large_done{0};
  std::atomic<bool> small_done{false};
  {
    TaskQueue queue(2);  // at most one large task at a time
    for (int i = 0; i < 4; ++i) {
      queue.post([&] {
        const int now = ++large_running;
        int seen = most_large_running.load();
        while (now > seen && !most_large_running.compare_exchange_weak(seen, now)) {}
        gate.wait();
        --large_running;
        ++large_done;
      }, TaskQueue::Lane::kLarge);
    }
    queue.post([&] { small_done = true; });
    // The small task finishes although every large task is blocked.
    for (int i = 0; i < 500 && !small_done; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(small_done);
    EXPECT_EQ(large_done.load(), 0);
    gate.release();
  }  // destruction runs the queued large tasks too
  EXPECT_EQ(large_done.load(), 4);
  EXPECT_EQ(most_large_running.load(), 1);
}

TEST(TaskQueue, OneWorkerStillRunsBothLanesAndPrefersSmallTasks) {
  std::mutex mutex;
  std::vector<char> order;
  Gate gate;
  {
    TaskQueue queue(1);
    queue.post([&] { gate.wait(); });  // holds the only worker while the others queue
    queue.post([&] { std::lock_guard l(mutex); order.push_back('L'); }, TaskQueue::Lane::kLarge);
    queue.post([&] { std::lock_guard l(mutex); order.push_back('S'); });
    gate.release();
  }
  EXPECT_EQ(order, (std::vector<char>{'S', 'L'}));
}

}  // namespace
}  // namespace turbine::server
