#include "bench/report.h"

#include <fmt/format.h>

namespace turbine::bench {

namespace {

void line(std::string& out, const std::string& label, const std::string& value) {
  out += fmt::format("{:<40} {:<10}\n", label, value);
}
std::string num(double v) { return fmt::format("{:.2f}", v); }

void section(std::string& out, const std::string& title, const std::string& label, const Summary& s) {
  out += fmt::format("{:-^50}\n", title);
  line(out, fmt::format("Mean {} (ms):", label), num(s.mean));
  line(out, fmt::format("Median {} (ms):", label), num(s.median));
  line(out, fmt::format("Std {} (ms):", label), num(s.std));
  for (const auto& [p, v] : s.percentiles) line(out, fmt::format("P{} {} (ms):", percentile_key(p).substr(1), label), num(v));
}

}  // namespace

std::string serve_report(const ServeBenchmarkResult& r, bool with_goodput) {
  const BenchmarkMetrics& m = r.metrics;
  std::string out = fmt::format("{:=^50}\n", " Serving Benchmark Result ");
  line(out, "Successful requests:", std::to_string(m.completed));
  line(out, "Failed requests:", std::to_string(m.failed));
  line(out, "Benchmark duration (s):", num(m.duration));
  line(out, "Total input tokens:", std::to_string(m.total_input));
  line(out, "Total generated tokens:", std::to_string(m.total_output));
  line(out, "Request throughput (req/s):", num(m.request_throughput));
  if (with_goodput && m.request_goodput) line(out, "Request goodput (req/s):", num(*m.request_goodput));
  line(out, "Output token throughput (tok/s):", num(m.output_throughput));
  line(out, "Peak output token throughput (tok/s):", num(m.max_output_tokens_per_s));
  line(out, "Peak concurrent requests:", std::to_string(m.max_concurrent_requests));
  line(out, "Total Token throughput (tok/s):", num(m.total_token_throughput));
  section(out, "Time to First Token", "TTFT", m.ttft_ms);
  section(out, "Time per Output Token (excl. 1st token)", "TPOT", m.tpot_ms);
  section(out, "Inter-token Latency", "ITL", m.itl_ms);
  section(out, "End-to-end Latency", "E2EL", m.e2el_ms);
  out += std::string(50, '=') + "\n";
  for (const RequestResult& q : r.results)
    if (!q.success) {
      out += fmt::format("first error: {}\n", q.error);
      break;
    }
  return out;
}

}  // namespace turbine::bench
