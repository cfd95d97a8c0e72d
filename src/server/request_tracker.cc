#include "server/request_tracker.h"

#include <vector>

#include "server/api_error.h"

namespace turbine::server {

RequestTracker::RequestTracker(int max_sequences) : max_sequences_(max_sequences) {}

uint64_t RequestTracker::admit(int sequences, std::function<void()> abort) {
  std::lock_guard lock(mutex_);
  if (shutting_down_) throw ApiError(503, "the server is shutting down", {}, "shutting_down");
  if (max_sequences_ > 0 && sequences > max_sequences_)  // could never fit: retrying will not help
    throw ApiError(400,
                   fmt::format("this request needs {} sequences (prompts x n), more than the {} this server runs and "
                               "queues at once",
                               sequences, max_sequences_),
                   "n", "invalid_value");
  if (max_sequences_ > 0 && active_sequences_ + sequences > max_sequences_)
    throw ApiError(503,
                   fmt::format("the server is at capacity ({} of {} sequences running or queued; this request needs "
                               "{}): retry later",
                               active_sequences_, max_sequences_, sequences),
                   {}, "queue_full");
  const uint64_t ticket = next_ticket_++;
  active_.emplace(ticket, Entry{sequences, std::move(abort)});
  active_sequences_ += sequences;
  return ticket;
}

void RequestTracker::finish(uint64_t ticket) {
  std::lock_guard lock(mutex_);
  const auto it = active_.find(ticket);
  if (it == active_.end()) return;
  active_sequences_ -= it->second.sequences;
  active_.erase(it);
  if (active_.empty()) idle_.notify_all();
}

void RequestTracker::begin_shutdown() {
  std::lock_guard lock(mutex_);
  shutting_down_ = true;
}

bool RequestTracker::shutting_down() const {
  std::lock_guard lock(mutex_);
  return shutting_down_;
}

bool RequestTracker::wait_idle(std::chrono::steady_clock::duration timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return active_.empty(); });
}

void RequestTracker::abort_all() {
  std::vector<std::function<void()>> aborts;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [ticket, entry] : active_) aborts.push_back(entry.abort);
  }
  for (const auto& abort : aborts)
    if (abort) abort();  // outside the lock: an abort may finish its request right away
}

int RequestTracker::active_requests() const {
  std::lock_guard lock(mutex_);
  return int(active_.size());
}

int RequestTracker::active_sequences() const {
  std::lock_guard lock(mutex_);
  return active_sequences_;
}

}  // namespace turbine::server
