// WaitingQueue: requests not running (new and preempted), in service order.
//
// Ordered by served_before() (scheduling_rules.h): FCFS by arrival, or by (priority, arrival).
// A preempted request keeps its arrival, so it goes back ahead of every request that arrived
// after it: the "front of the queue" without a separate push_front. O(log n) insert and remove,
// so aborting a waiting request is cheap. Engine thread only.
#pragma once

#include <set>
#include <vector>

#include "engine/request.h"
#include "engine/scheduler/scheduler_config.h"

namespace turbine {

class WaitingQueue {
 public:
  explicit WaitingQueue(SchedulingPolicy policy);

  bool empty() const { return requests_.empty(); }
  int size() const { return int(requests_.size()); }
  void push(Request* request);
  Request* front() const;
  void pop_front();
  // Returns whether it was queued.
  bool remove(Request* request);
  // Service order, first first; for tests and debugging.
  std::vector<Request*> to_vector() const { return {requests_.begin(), requests_.end()}; }

 private:
  struct Order {
    SchedulingPolicy policy;
    bool operator()(const Request* a, const Request* b) const;
  };
  std::set<Request*, Order> requests_;
};

}  // namespace turbine
