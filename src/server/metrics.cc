#include "server/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace turbine::server {
namespace {

constexpr RequestFinishReason kFinishReasons[] = {RequestFinishReason::kStop, RequestFinishReason::kLength,
                                                  RequestFinishReason::kAbort};

// Buckets after vLLM's, with finer low ends: tiny models on a CPU answer in milliseconds.
std::vector<double> ttft_buckets() {
  return {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,  0.25, 0.5,   0.75,
          1.0,   2.5,   5.0,  7.5,  10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
}
std::vector<double> itl_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1,  0.15, 0.2, 0.3,
          0.4,   0.5,    0.75,  1.0,  2.5,   5.0,  7.5,   10.0, 20.0, 40.0, 80.0};
}
std::vector<double> e2e_buckets() {
  return {0.01, 0.05, 0.1,  0.3,  0.5,  0.8,  1.0,  1.5,   2.0,   2.5,   5.0,   10.0,
          15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void single(std::string& out, std::string_view name, std::string_view type, std::string_view help, double value) {
  header(out, name, type, help);
  fmt::format_to(std::back_inserter(out), "{} {}\n", name, prometheus_number(value));
}

void histogram(std::string& out, std::string_view name, std::string_view help, const Histogram& h) {
  header(out, name, "histogram", help);
  const Histogram::Snapshot s = h.snapshot();
  const std::vector<double>& bounds = h.upper_bounds();
  for (size_t i = 0; i < bounds.size(); ++i)
    fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"{}\"}} {}\n", name, prometheus_number(bounds[i]),
                   s.cumulative[i]);
  fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"+Inf\"}} {}\n", name, s.count);
  fmt::format_to(std::back_inserter(out), "{}_sum {}\n{}_count {}\n", name, prometheus_number(s.sum), name, s.count);
}

}  // namespace

std::string prometheus_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) return fmt::format("{}", int64_t(value));
  return fmt::format("{}", value);
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {
  TURBINE_CHECK(std::is_sorted(bounds_.begin(), bounds_.end()));
}

void Histogram::observe(double value) {
  if (std::isnan(value)) return;
  const size_t bucket = size_t(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  std::lock_guard lock(mutex_);
  ++counts_[bucket];
  sum_ += value;
  ++count_;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  std::lock_guard lock(mutex_);
  uint64_t running = 0;
  for (const uint64_t c : counts_) s.cumulative.push_back(running += c);
  s.sum = sum_;
  s.count = count_;
  return s;
}

ServerMetrics::ServerMetrics()
    : time_to_first_token(ttft_buckets()), inter_token_latency(itl_buckets()), e2e_request_latency(e2e_buckets()) {}

void ServerMetrics::count_finished(RequestFinishReason reason) {
  finished_[size_t(reason)].fetch_add(1, std::memory_order_relaxed);
}

std::string ServerMetrics::render(const EngineStats& engine) const {
  std::string out;
  single(out, "turbine_requests_running", "gauge", "Sequences running in the engine (holding KV blocks).",
         engine.num_running);
  single(out, "turbine_requests_waiting", "gauge", "Sequences waiting to be scheduled (new or preempted).",
         engine.num_waiting);
  single(out, "turbine_kv_cache_usage_ratio", "gauge", "Fraction of KV cache blocks in use (0 to 1).",
         engine.kv_cache_usage);
  single(out, "turbine_prefix_cache_queries_total", "counter", "Prompt tokens looked up in the prefix cache.",
         double(engine.prefix_cache_queried_tokens));
  single(out, "turbine_prefix_cache_hits_total", "counter", "Prompt tokens served by the prefix cache.",
         double(engine.prefix_cache_hit_tokens));
  single(out, "turbine_prompt_tokens_total", "counter", "Prompt tokens of requests that started generating.",
         double(prompt_tokens_.load(std::memory_order_relaxed)));
  single(out, "turbine_generation_tokens_total", "counter", "Tokens generated.",
         double(generation_tokens_.load(std::memory_order_relaxed)));
  header(out, "turbine_request_success_total", "counter", "Finished choices (samples) by finish reason.");
  for (const RequestFinishReason reason : kFinishReasons)
    fmt::format_to(std::back_inserter(out), "turbine_request_success_total{{finish_reason=\"{}\"}} {}\n",
                   request_finish_reason_name(reason), finished_[size_t(reason)].load(std::memory_order_relaxed));
  single(out, "turbine_preemptions_total", "counter", "Sequences preempted for lack of KV blocks.",
         double(engine.num_preemptions));
  histogram(out, "turbine_time_to_first_token_seconds", "Time from arrival to the first output token.",
            time_to_first_token);
  histogram(out, "turbine_inter_token_latency_seconds", "Time between consecutive output tokens of a sample.",
            inter_token_latency);
  histogram(out, "turbine_e2e_request_latency_seconds", "Time from arrival to the last output token.",
            e2e_request_latency);
  return out;
}

}  // namespace turbine::server
