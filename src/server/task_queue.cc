#include "server/task_queue.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

namespace turbine::server {

TaskQueue::TaskQueue(int num_threads, int max_large_running) {
  num_threads = std::max(num_threads, 1);
  max_large_running_ = max_large_running >= 0 ? std::max(max_large_running, 1) : std::max(num_threads - 1, 1);
  for (int i = 0; i < num_threads; ++i) threads_.emplace_back([this] { worker(); });
}

TaskQueue::~TaskQueue() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void TaskQueue::post(std::function<void()> task, Lane lane) {
  {
    std::lock_guard lock(mutex_);
    (lane == Lane::kLarge ? large_ : small_).push_back(std::move(task));
  }
  ready_.notify_one();
}

void TaskQueue::worker() {
  while (true) {
    std::function<void()> task;
    bool large = false;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !small_.empty() || can_take_large(); });
      if (!small_.empty()) {
        task = std::move(small_.front());
        small_.pop_front();
      } else if (can_take_large()) {
        task = std::move(large_.front());
        large_.pop_front();
        large = true;
        ++large_running_;
      } else {
        return;  // stopping, and nothing this worker may run is left
      }
    }
    try {
      task();
    } catch (const std::exception& e) {
      spdlog::error("request worker task failed: {}", e.what());
    }
    if (large) {
      {
        std::lock_guard lock(mutex_);
        --large_running_;
      }
      ready_.notify_all();  // a waiting large task may run now
    }
  }
}

}  // namespace turbine::server
