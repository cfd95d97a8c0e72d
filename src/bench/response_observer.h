// What the streaming HTTP client reports about one request, as it happens. Times are seconds
// since the benchmark's start; every call comes from the client's thread.
#pragma once

#include <string>
#include <string_view>

namespace turbine::bench {

class ResponseObserver {
 public:
  virtual ~ResponseObserver() = default;
  // The request is about to be written (it had its arrival time and a concurrency slot).
  virtual void on_start(double t) = 0;
  // One server-sent event's data from a 200 response, at the time its bytes were read.
  virtual void on_event(std::string_view data, double t) = 0;
  // The response ended normally.
  virtual void on_complete(double t) = 0;
  // Another status than 200, a connection error, a timeout or a malformed response.
  virtual void on_failure(std::string error, double t) = 0;
};

}  // namespace turbine::bench
