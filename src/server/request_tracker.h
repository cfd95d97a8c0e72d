// RequestTracker: which generation requests the server has in flight, and how many more it takes.
//
// Admission: every admitted request reserves its sequences (prompts x n) until the engine has
// finished all of them. When the reservations would exceed the limit (--max-num-seqs running
// plus --max-waiting queued), or the server is shutting down, admit() throws ApiError 503: a
// flood of requests is refused at once instead of queueing without bound. A request that needs
// more sequences than the limit itself is a 400 (it could never be served).
//
// Shutdown: begin_shutdown() refuses new requests; wait_idle() waits for the admitted ones to
// finish; abort_all() asks each one still running to abort (through the callback it registered).
//
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace turbine::server {

class RequestTracker {
 public:
  // `max_sequences` <= 0: no limit.
  explicit RequestTracker(int max_sequences);

  // Reserves `sequences` and registers `abort` (called by abort_all, on the caller's thread of
  // abort_all). Returns a ticket for finish(). Throws ApiError 503 when full or shutting down,
  // 400 when `sequences` exceeds the limit itself.
  uint64_t admit(int sequences, std::function<void()> abort);
  // Releases the ticket's reservation (once; later calls do nothing).
  void finish(uint64_t ticket);

  void begin_shutdown();
  bool shutting_down() const;
  // Waits until nothing is admitted or `timeout` passes; true when idle.
  bool wait_idle(std::chrono::steady_clock::duration timeout);
  void abort_all();

  int active_requests() const;
  int active_sequences() const;

 private:
  const int max_sequences_;
  mutable std::mutex mutex_;
  std::condition_variable idle_;
  bool shutting_down_ = false;
  int active_sequences_ = 0;
  uint64_t next_ticket_ = 1;
  struct Entry {
    int sequences;
    std::function<void()> abort;
  };
  std::map<uint64_t, Entry> active_;
};

}  // namespace turbine::server
