// RequestQueue: the engine's inbox, the one place other threads hand it work.
//
// Server threads submit() new requests and abort() running ones at any time; the engine thread
// drain()s everything at the start of each step, in the order it arrived (so an abort never
// overtakes the submission it refers to), and sleeps in wait_for_work() while idle. Besides the
// events it keeps the set of live request ids, so a duplicate id is refused at submission, on
// the caller's thread, instead of corrupting the engine; the engine calls release_id() when a
// request (all of its samples) has finished.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/request.h"

namespace turbine {

class RequestQueue {
 public:
  struct Event {
    enum class Kind { kSubmit, kAbort };
    Kind kind = Kind::kSubmit;
    std::unique_ptr<Request> request;  // kSubmit
    std::string id;                    // kAbort: the request id (all its samples)
  };

  // Any thread. Stamps arrival_seq. Throws turbine::Error if a live request has the same id or
  // the queue is closed.
  void submit(std::unique_ptr<Request> request);
  // Any thread. Aborting an id that is unknown or finished by the time it is drained does nothing.
  void abort(std::string id);

  // Engine thread: everything queued since the last drain, oldest first.
  std::vector<Event> drain();
  // Engine thread: blocks until an event is queued, the queue is closed or `timeout` passes;
  // returns whether events are queued.
  bool wait_for_work(std::chrono::milliseconds timeout);
  // Engine thread: the request with this id has finished; its id may be used again.
  void release_id(const std::string& id);
  // Any thread: refuse further submissions and wake the engine thread.
  void close();

  bool has_events() const;
  bool is_live(const std::string& id) const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable work_available_;
  std::vector<Event> events_;
  std::unordered_set<std::string> live_ids_;
  uint64_t next_arrival_seq_ = 1;
  bool closed_ = false;
};

}  // namespace turbine
