#include "engine/scheduler/waiting_queue.h"

#include "common/error.h"
#include "engine/scheduler/scheduling_rules.h"

namespace turbine {

bool WaitingQueue::Order::operator()(const Request* a, const Request* b) const {
  return served_before(*a, *b, policy);
}

WaitingQueue::WaitingQueue(SchedulingPolicy policy) : requests_(Order{policy}) {}

void WaitingQueue::push(Request* request) {
  const bool inserted = requests_.insert(request).second;
  TURBINE_CHECK(inserted, "sequence {} is already waiting", request->seq_id);
}

Request* WaitingQueue::front() const {
  TURBINE_CHECK(!requests_.empty());
  return *requests_.begin();
}

void WaitingQueue::pop_front() {
  TURBINE_CHECK(!requests_.empty());
  requests_.erase(requests_.begin());
}

bool WaitingQueue::remove(Request* request) { return requests_.erase(request) > 0; }

}  // namespace turbine
