#include "engine/request_queue.h"

#include <utility>

#include "common/error.h"

namespace turbine {

void RequestQueue::submit(std::unique_ptr<Request> request) {
  TURBINE_CHECK(request != nullptr);
  {
    std::lock_guard lock(mutex_);
    if (closed_) fail("the engine is shutting down; request '{}' was not accepted", request->id);
    if (!live_ids_.insert(request->id).second) fail("a request with id '{}' is already running", request->id);
    request->arrival_seq = next_arrival_seq_++;
    events_.push_back(Event{Event::Kind::kSubmit, std::move(request), {}});
  }
  work_available_.notify_one();
}

void RequestQueue::abort(std::string id) {
  {
    std::lock_guard lock(mutex_);
    events_.push_back(Event{Event::Kind::kAbort, nullptr, std::move(id)});
  }
  work_available_.notify_one();
}

std::vector<RequestQueue::Event> RequestQueue::drain() {
  std::lock_guard lock(mutex_);
  return std::exchange(events_, {});
}

bool RequestQueue::wait_for_work(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  work_available_.wait_for(lock, timeout, [this] { return !events_.empty() || closed_; });
  return !events_.empty();
}

void RequestQueue::release_id(const std::string& id) {
  std::lock_guard lock(mutex_);
  live_ids_.erase(id);
}

void RequestQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  work_available_.notify_all();
}

bool RequestQueue::has_events() const {
  std::lock_guard lock(mutex_);
  return !events_.empty();
}

bool RequestQueue::is_live(const std::string& id) const {
  std::lock_guard lock(mutex_);
  return live_ids_.contains(id);
}

}  // namespace turbine
