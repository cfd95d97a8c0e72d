// TaskQueue: a few worker threads that run posted tasks in order of arrival, in two lanes.
//
// The server's request workers: parsing a large JSON body, rendering a chat template and
// tokenizing a long prompt take milliseconds, which must not stall the I/O threads (every other
// connection's stream) nor the engine thread. Tasks must not throw (an escaping exception is a
// bug: it is logged and the task dropped). Destruction runs the tasks already queued, then joins.
//
// Lanes: a task posted as kLarge (a request with a large body: parsing 30 MiB of JSON takes a
// third of a second) runs only while fewer than `max_large_running` large tasks run, so that with
// two or more workers at least one is always free for small requests, and a free worker takes a
// waiting small task before a large one. Eight clients posting huge prompts then delay a small
// request by about one small task, not by eight parses (bench/server_flood_latency.py).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace turbine::server {

class TaskQueue {
 public:
  enum class Lane { kSmall, kLarge };

  // max_large_running < 0: num_threads - 1 (at least 1).
  explicit TaskQueue(int num_threads, int max_large_running = -1);
  ~TaskQueue();
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  void post(std::function<void()> task, Lane lane = Lane::kSmall);

 private:
  void worker();
  bool can_take_large() const { return !large_.empty() && large_running_ < max_large_running_; }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> small_;
  std::deque<std::function<void()>> large_;
  int max_large_running_ = 1;
  int large_running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace turbine::server
