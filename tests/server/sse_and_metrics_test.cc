// SSE framing, the Prometheus exposition, the access log line, and admission control.
#include <gtest/gtest.h>

#include <thread>

#include "server/access_log.h"
#include "server/api_error.h"
#include "server/metrics.h"
#include "server/request_tracker.h"
#include "server/sse.h"

namespace turbine::server {
namespace {

TEST(Sse, OneEventPerPayload) {
  EXPECT_EQ(sse_event(R"({"a":1})"), "data: {\"a\":1}\n\n");
  EXPECT_EQ(kSseDone, "data: [DONE]\n\n");
  std::string out;
  append_sse_event(out, "x");
  append_sse_event(out, "y");
  EXPECT_EQ(out, "data: x\n\ndata: y\n\n");
}

TEST(Sse, LineBreaksBecomeSeveralDataLines) {
  EXPECT_EQ(sse_event("a\nb"), "data: a\ndata: b\n\n");
  EXPECT_EQ(sse_event("a\r\nb\rc"), "data: a\ndata: b\ndata: c\n\n");
  EXPECT_EQ(sse_event("a\n"), "data: a\ndata: \n\n");
  EXPECT_EQ(sse_event(""), "data: \n\n");
}

TEST(Metrics, PrometheusNumbers) {
  EXPECT_EQ(prometheus_number(0), "0");
  EXPECT_EQ(prometheus_number(3), "3");
  EXPECT_EQ(prometheus_number(0.25), "0.25");
  EXPECT_EQ(prometheus_number(1e-3), "0.001");
  EXPECT_EQ(prometheus_number(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(prometheus_number(std::nan("")), "NaN");
}

TEST(Metrics, HistogramBucketsAreCumulativeAndInclusive) {
  Histogram h({0.1, 1.0});
  for (double v : {0.05, 0.1, 0.5, 1.0, 7.0}) h.observe(v);
  const Histogram::Snapshot s = h.snapshot();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2, 4, 5}));
  EXPECT_EQ(s.count, 5u);
  EXPECT_DOUBLE_EQ(s.sum, 8.65);
}

TEST(Metrics, RendersEverySeriesWithTypes) {
  ServerMetrics m;
  m.add_prompt_tokens(5);
  m.add_generation_tokens(40);
  m.count_finished(RequestFinishReason::kLength);
  m.count_finished(RequestFinishReason::kAbort);
  m.time_to_first_token.observe(0.003);
  EngineStats stats;
  stats.num_running = 2;
  stats.num_waiting = 1;
  stats.kv_cache_usage = 0.5;
  stats.prefix_cache_queried_tokens = 100;
  stats.prefix_cache_hit_tokens = 32;
  stats.num_preemptions = 4;
  const std::string text = m.render(stats);
  for (const char* line : {
           "# TYPE turbine_requests_running gauge\nturbine_requests_running 2\n",
           "turbine_requests_waiting 1\n",
           "# TYPE turbine_kv_cache_usage_ratio gauge\nturbine_kv_cache_usage_ratio 0.5\n",
           "# TYPE turbine_prefix_cache_queries_total counter\nturbine_prefix_cache_queries_total 100\n",
           "turbine_prefix_cache_hits_total 32\n",
           "turbine_prompt_tokens_total 5\n",
           "turbine_generation_tokens_total 40\n",
           "# TYPE turbine_request_success_total counter\n",
           "turbine_request_success_total{finish_reason=\"stop\"} 0\n",
           "turbine_request_success_total{finish_reason=\"length\"} 1\n",
           "turbine_request_success_total{finish_reason=\"abort\"} 1\n",
           "turbine_preemptions_total 4\n",
           "# TYPE turbine_time_to_first_token_seconds histogram\n",
           "turbine_time_to_first_token_seconds_bucket{le=\"0.001\"} 0\n",
           "turbine_time_to_first_token_seconds_bucket{le=\"0.005\"} 1\n",
           "turbine_time_to_first_token_seconds_bucket{le=\"+Inf\"} 1\n",
           "turbine_time_to_first_token_seconds_sum 0.003\n",
           "turbine_time_to_first_token_seconds_count 1\n",
           "# TYPE turbine_inter_token_latency_seconds histogram\n",
           "turbine_inter_token_latency_seconds_count 0\n",
           "# TYPE turbine_e2e_request_latency_seconds histogram\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line;
  }
  // Every sample line is "name[{labels}] value" and every series has HELP and TYPE.
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    EXPECT_EQ(std::count(line.begin(), line.end(), ' '), 1) << line;
    EXPECT_EQ(line.rfind("turbine_", 0), 0u) << line;
  }
}

TEST(AccessLog, OneLineWithTheRequestsFacts) {
  AccessLogEntry e;
  e.method = "POST";
  e.path = "/v1/completions";
  e.status = 200;
  e.client = "127.0.0.1:5000";
  e.total_seconds = 0.0521;
  e.id = "cmpl-1";
  e.prompt_tokens = 5;
  e.output_tokens = 40;
  e.ttft_seconds = 0.0031;
  e.finish_reasons = "length,stop";
  EXPECT_EQ(format_access_log(e),
            "POST /v1/completions 200 id=cmpl-1 prompt_tokens=5 output_tokens=40 ttft_ms=3.1 total_ms=52.1 "
            "finish=length,stop client=127.0.0.1:5000");
  AccessLogEntry plain{"GET", "/health", 200, "", 0.0001, {}, {}, {}, {}, {}};
  EXPECT_EQ(format_access_log(plain), "GET /health 200 total_ms=0.1");
}

TEST(RequestTracker, AdmitsUpToTheLimitThen503) {
  RequestTracker t(4);
  const uint64_t a = t.admit(3, {});
  try {
    t.admit(2, {});
    FAIL() << "admitted past the limit";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 503);
    EXPECT_EQ(e.code(), "queue_full");
  }
  const uint64_t b = t.admit(1, {});
  EXPECT_EQ(t.active_sequences(), 4);
  try {
    t.admit(5, {});  // more than the limit itself: never servable
    FAIL() << "admitted an impossible request";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 400);
  }
  t.finish(a);
  t.finish(a);  // twice is harmless
  EXPECT_EQ(t.active_sequences(), 1);
  t.finish(b);
  EXPECT_EQ(t.active_requests(), 0);
}

TEST(RequestTracker, ShutdownRefusesWaitsAndAborts) {
  RequestTracker t(0);
  int aborted = 0;
  const uint64_t a = t.admit(1, [&] { ++aborted; });
  t.begin_shutdown();
  EXPECT_TRUE(t.shutting_down());
  EXPECT_THROW(t.admit(1, {}), ApiError);
  EXPECT_FALSE(t.wait_idle(std::chrono::milliseconds(10)));
  t.abort_all();
  EXPECT_EQ(aborted, 1);
  std::thread finisher([&] { t.finish(a); });
  EXPECT_TRUE(t.wait_idle(std::chrono::seconds(5)));
  finisher.join();
}

}  // namespace
}  // namespace turbine::server
