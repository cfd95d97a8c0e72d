// TaskQueue: a few worker threads that run posted tasks in order of arrival.
//
// The server's request workers: parsing a large JSON body, rendering a chat template and
// tokenizing a long prompt take milliseconds, which must not stall the I/O threads (every other
// connection's stream) nor the engine thread. Tasks must not throw (an escaping exception is a
// bug: it is logged and the task dropped). Destruction runs the tasks already queued, then joins.
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
  explicit TaskQueue(int num_threads);
  ~TaskQueue();
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  void post(std::function<void()> task);

 private:
  void worker();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace turbine::server
