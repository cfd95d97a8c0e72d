// The serving metrics of vLLM's `benchmark_serving` (calculate_metrics), computed the same way:
//  - TTFT per successful request; ITL: every gap between content chunks, all requests pooled;
//    TPOT per request with more than one output token: (E2E - TTFT) / (output tokens - 1);
//    E2E latency per successful request.
//  - Each summarized by mean, median, population std (numpy's np.std) and percentiles with
//    numpy's default linear interpolation; an empty list summarizes as zeros (np.mean([0])).
//  - Throughputs over the benchmark's wall time; goodput: successful requests meeting every SLO
//    given (TPOT counts as 0 for one-token outputs) per second.
//  - max_output_tokens_per_s / max_concurrent_requests: vLLM's one-second buckets (chunks per
//    second; requests active during a second); peak_concurrent_requests: the exact peak number of
//    requests in flight at once (ours, failed requests included).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "bench/request_result.h"

namespace turbine::bench {

// numpy.percentile(values, p) with the default "linear" method; `sorted` ascending, non-empty.
double percentile_of_sorted(std::span<const double> sorted, double p);

struct Summary {
  double mean = 0, median = 0, std = 0;
  std::vector<std::pair<double, double>> percentiles;  // (p, value)
};

// Summarizes `values` scaled by `scale` (1000 for milliseconds).
Summary summarize(std::vector<double> values, std::span<const double> percentiles, double scale = 1.0);

// Service level objectives for goodput, in milliseconds (vLLM's --goodput ttft:MS tpot:MS e2el:MS).
struct GoodputSlo {
  std::optional<double> ttft_ms, tpot_ms, e2el_ms;
  bool any() const { return ttft_ms || tpot_ms || e2el_ms; }
};
// Parses "KEY:MS" items (keys ttft, tpot, e2el); throws turbine::Error for anything else.
GoodputSlo parse_goodput(const std::vector<std::string>& items);

// "50,90,99" -> {50, 90, 99}; each in [0, 100]; throws turbine::Error.
std::vector<double> parse_percentiles(const std::string& text);
// vLLM's key of percentile p: "p99", "p99.9".
std::string percentile_key(double p);

struct BenchmarkMetrics {
  int completed = 0;
  int failed = 0;
  long long total_input = 0;
  long long total_output = 0;
  double duration = 0;
  double request_throughput = 0;
  std::optional<double> request_goodput;  // set when SLOs were given
  double output_throughput = 0;
  double total_token_throughput = 0;
  double max_output_tokens_per_s = 0;
  int max_concurrent_requests = 0;
  int peak_concurrent_requests = 0;
  Summary ttft_ms, tpot_ms, itl_ms, e2el_ms;
  std::vector<int> output_lens;  // per request; 0 for failed ones (vLLM's actual_output_lens)
};

BenchmarkMetrics compute_metrics(std::span<const RequestResult> results, double duration,
                                 std::span<const double> percentiles, const GoodputSlo& slo);

}  // namespace turbine::bench
