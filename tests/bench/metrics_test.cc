// Metric computation on hand-made samples, checked against values worked out by hand (and
// numpy's for the percentiles).
#include <gtest/gtest.h>

#include "bench/metrics.h"
#include "common/error.h"

namespace turbine::bench {
namespace {

TEST(Percentiles, MatchNumpyLinearInterpolation) {
  const std::vector<double> v = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(percentile_of_sorted(v, 0), 1.0);
  EXPECT_DOUBLE_EQ(percentile_of_sorted(v, 50), 2.5);    // np.percentile([1,2,3,4], 50)
  EXPECT_DOUBLE_EQ(percentile_of_sorted(v, 90), 3.7);    // np.percentile(..., 90)
  EXPECT_NEAR(percentile_of_sorted(v, 99), 3.97, 1e-12);
  EXPECT_DOUBLE_EQ(percentile_of_sorted(v, 100), 4.0);
  const std::vector<double> one = {5};
  EXPECT_DOUBLE_EQ(percentile_of_sorted(one, 99), 5.0);
}

TEST(Summary, MeanMedianPopulationStdAndScale) {
  const std::vector<double> p = {50, 90};
  const Summary s = summarize({0.004, 0.001, 0.003, 0.002}, p, 1000);
  EXPECT_NEAR(s.mean, 2.5, 1e-12);
  EXPECT_NEAR(s.median, 2.5, 1e-12);
  EXPECT_NEAR(s.std, std::sqrt(1.25), 1e-12);  // np.std: divides by n
  ASSERT_EQ(s.percentiles.size(), 2u);
  EXPECT_NEAR(s.percentiles[1].second, 3.7, 1e-12);
  const Summary empty = summarize({}, p, 1000);  // vLLM: np.mean(x or 0)
  EXPECT_EQ(empty.mean, 0.0);
  EXPECT_EQ(empty.percentiles[0].second, 0.0);
}

RequestResult ok(int prompt, int out, double start, double ttft, std::vector<double> itl, double latency) {
  RequestResult r;
  r.success = true;
  r.prompt_len = prompt;
  r.output_tokens = out;
  r.output_tokens_from_usage = true;
  r.start_time = start;
  r.ttft = ttft;
  r.itl = std::move(itl);
  r.latency = latency;
  r.finish_time = start + latency;
  return r;
}

TEST(Metrics, HandMadeRun) {
  std::vector<RequestResult> results;
  // 5 tokens in 4 chunks after the first: TPOT (0.5 - 0.1) / 4 = 100 ms.
  results.push_back(ok(10, 5, 0.0, 0.1, {0.1, 0.1, 0.1, 0.1}, 0.5));
  // One output token: no TPOT sample, TPOT 0 for goodput.
  results.push_back(ok(20, 1, 0.2, 0.3, {}, 0.3));
  RequestResult failed;
  failed.prompt_len = 30;
  failed.start_time = 0.1;
  failed.finish_time = 1.9;
  failed.error = "HTTP 500";
  results.push_back(failed);

  GoodputSlo slo;
  slo.ttft_ms = 150;  // first: 100 ms ok, second: 300 ms too slow
  const std::vector<double> p = {50, 99};
  const BenchmarkMetrics m = compute_metrics(results, 2.0, p, slo);
  EXPECT_EQ(m.completed, 2);
  EXPECT_EQ(m.failed, 1);
  EXPECT_EQ(m.total_input, 30);  // failed requests' prompts are not counted (vLLM)
  EXPECT_EQ(m.total_output, 6);
  EXPECT_EQ(m.output_lens, (std::vector<int>{5, 1, 0}));
  EXPECT_DOUBLE_EQ(m.request_throughput, 1.0);
  EXPECT_DOUBLE_EQ(m.output_throughput, 3.0);
  EXPECT_DOUBLE_EQ(m.total_token_throughput, 18.0);
  ASSERT_TRUE(m.request_goodput.has_value());
  EXPECT_DOUBLE_EQ(*m.request_goodput, 0.5);
  EXPECT_NEAR(m.tpot_ms.mean, 100.0, 1e-9);
  EXPECT_NEAR(m.ttft_ms.mean, 200.0, 1e-9);
  EXPECT_NEAR(m.ttft_ms.std, 100.0, 1e-9);
  EXPECT_NEAR(m.itl_ms.mean, 100.0, 1e-9);
  EXPECT_NEAR(m.e2el_ms.median, 400.0, 1e-9);
  EXPECT_NEAR(m.e2el_ms.percentiles[1].second, 300 + 200 * 0.99, 1e-9);
  // vLLM's buckets: both successes run within second 0; 5 + 1 chunks in it.
  EXPECT_EQ(m.max_concurrent_requests, 2);
  EXPECT_DOUBLE_EQ(m.max_output_tokens_per_s, 6.0);
  // Exact peak: the failed request (0.1 - 1.9) overlaps both others, which overlap each other.
  EXPECT_EQ(m.peak_concurrent_requests, 3);

  GoodputSlo tpot;
  tpot.tpot_ms = 50;  // the first (100 ms) fails, the one-token one (0) passes
  EXPECT_DOUBLE_EQ(*compute_metrics(results, 2.0, p, tpot).request_goodput, 0.5);
  EXPECT_FALSE(compute_metrics(results, 2.0, p, {}).request_goodput.has_value());
}

TEST(Metrics, PeakConcurrencyCountsOnlyOverlaps) {
  std::vector<RequestResult> results;
  for (int i = 0; i < 4; ++i) results.push_back(ok(1, 2, i * 1.0, 0.1, {0.1}, 1.0));  // back to back
  const std::vector<double> p = {50};
  EXPECT_EQ(compute_metrics(results, 4.0, p, {}).peak_concurrent_requests, 1);
  results.push_back(ok(1, 2, 0.5, 0.1, {0.1}, 2.0));  // 0.5 - 2.5 overlaps three of them, two at a time
  EXPECT_EQ(compute_metrics(results, 4.0, p, {}).peak_concurrent_requests, 2);
}

TEST(Metrics, AllFailedIsZeroNotACrash) {
  std::vector<RequestResult> results(3);
  for (auto& r : results) r.error = "refused";
  const std::vector<double> p = {50, 90, 99};
  const BenchmarkMetrics m = compute_metrics(results, 1.0, p, {});
  EXPECT_EQ(m.completed, 0);
  EXPECT_EQ(m.failed, 3);
  EXPECT_EQ(m.ttft_ms.mean, 0.0);
  EXPECT_EQ(m.max_concurrent_requests, 0);
}

TEST(Metrics, ParsesGoodputAndPercentiles) {
  const GoodputSlo slo = parse_goodput({"ttft:200", "tpot:25.5", "e2el:1000"});
  EXPECT_EQ(*slo.ttft_ms, 200);
  EXPECT_EQ(*slo.tpot_ms, 25.5);
  EXPECT_EQ(*slo.e2el_ms, 1000);
  for (const char* bad : {"ttft", "itl:5", "ttft:x", "tpot:-1"}) EXPECT_THROW(parse_goodput({bad}), Error) << bad;
  EXPECT_EQ(parse_percentiles("50,90,99"), (std::vector<double>{50, 90, 99}));
  EXPECT_EQ(parse_percentiles("99.9"), (std::vector<double>{99.9}));
  for (const char* bad : {"", "50,", "101", "x"}) EXPECT_THROW(parse_percentiles(bad), Error) << bad;
  EXPECT_EQ(percentile_key(99), "p99");
  EXPECT_EQ(percentile_key(99.9), "p99.9");
  EXPECT_EQ(percentile_key(12.5), "p12.5");
}

}  // namespace
}  // namespace turbine::bench
