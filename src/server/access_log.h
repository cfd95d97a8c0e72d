// The access log: one line per HTTP request, written when its response is complete.
//
//   POST /v1/completions 200 id=cmpl-3f.. prompt_tokens=5 output_tokens=40 ttft_ms=3.1 total_ms=52.0
//   finish=length client=127.0.0.1:51234
//
// Generation requests add their id, token counts, time to first token and finish reasons (one per
// choice, comma-separated); other requests leave those out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace turbine::server {

struct AccessLogEntry {
  std::string method;
  std::string path;
  int status = 200;
  std::string client;
  double total_seconds = 0;
  // Generation requests only.
  std::string id;
  std::optional<int64_t> prompt_tokens;
  std::optional<int64_t> output_tokens;
  std::optional<double> ttft_seconds;
  std::string finish_reasons;
};

std::string format_access_log(const AccessLogEntry& entry);

// Writes the line through spdlog (info) unless access logging is off.
class AccessLog {
 public:
  explicit AccessLog(bool enabled) : enabled_(enabled) {}
  void write(const AccessLogEntry& entry) const;

 private:
  bool enabled_;
};

}  // namespace turbine::server
