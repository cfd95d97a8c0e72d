// ServerMetrics: the numbers /metrics serves, in Prometheus' text exposition format.
//
// Two sources: the engine's own state (running and waiting sequences, KV usage, prefix-cache
// and preemption counters), read from LlmEngine::stats() at scrape time, and what the server
// observes per request (prompt and generated tokens, finish reasons, latencies), recorded as it
// happens. Recording is thread-safe and cheap (atomics; a short lock per histogram sample), so
// the engine thread's sinks may record directly.
//
// Series (all prefixed turbine_): requests_running, requests_waiting, kv_cache_usage_ratio
// (gauges); prefix_cache_queries_total and prefix_cache_hits_total (tokens),
// prompt_tokens_total, generation_tokens_total, request_success_total{finish_reason} (one per
// finished choice, aborts included), preemptions_total (counters); time_to_first_token_seconds,
// inter_token_latency_seconds, e2e_request_latency_seconds (histograms).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/loop/llm_engine.h"

namespace turbine::server {

class Histogram {
 public:
  // `upper_bounds` ascending; a +Inf bucket is implied.
  explicit Histogram(std::vector<double> upper_bounds);

  void observe(double value);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::vector<uint64_t> counts_;  // per bucket (not cumulative), the last one +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class ServerMetrics {
 public:
  ServerMetrics();

  void add_prompt_tokens(uint64_t n) { prompt_tokens_.fetch_add(n, std::memory_order_relaxed); }
  void add_generation_tokens(uint64_t n) { generation_tokens_.fetch_add(n, std::memory_order_relaxed); }
  void count_finished(RequestFinishReason reason);

  Histogram time_to_first_token;  // seconds from arrival to the first output token
  Histogram inter_token_latency;  // seconds between consecutive tokens of a sample
  Histogram e2e_request_latency;  // seconds from arrival to the last token

  // The exposition text: these metrics and the engine's.
  std::string render(const EngineStats& engine) const;

 private:
  std::atomic<uint64_t> prompt_tokens_{0};
  std::atomic<uint64_t> generation_tokens_{0};
  std::array<std::atomic<uint64_t>, 3> finished_{};  // by RequestFinishReason
};

// Prometheus' text format of a sample value: integers without a fraction, "+Inf", "NaN".
std::string prometheus_number(double value);

}  // namespace turbine::server
