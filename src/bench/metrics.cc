#include "bench/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/error.h"

namespace turbine::bench {

double percentile_of_sorted(std::span<const double> sorted, double p) {
  const double index = p / 100.0 * double(sorted.size() - 1);
  const size_t lo = size_t(std::floor(index));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (index - double(lo));
}

Summary summarize(std::vector<double> values, std::span<const double> percentiles, double scale) {
  if (values.empty()) values.push_back(0.0);  // vLLM: np.mean(ttfts or 0)
  std::sort(values.begin(), values.end());
  Summary s;
  const double n = double(values.size());
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
  double squares = 0;
  for (double v : values) squares += (v - s.mean) * (v - s.mean);
  s.std = std::sqrt(squares / n) * scale;
  s.mean *= scale;
  s.median = percentile_of_sorted(values, 50) * scale;
  for (double p : percentiles) s.percentiles.emplace_back(p, percentile_of_sorted(values, p) * scale);
  return s;
}

namespace {

double parse_number(const std::string& text, const std::string& what) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size() || !std::isfinite(v)) fail("{}: \"{}\" is not a number", what, text);
  return v;
}

}  // namespace

GoodputSlo parse_goodput(const std::vector<std::string>& items) {
  GoodputSlo slo;
  for (const std::string& item : items) {
    const size_t colon = item.find(':');
    if (colon == std::string::npos)
      fail("--goodput: \"{}\" is not KEY:MILLISECONDS (keys: ttft, tpot, e2el)", item);
    const std::string key = item.substr(0, colon);
    const double ms = parse_number(item.substr(colon + 1), "--goodput " + key);
    if (ms < 0) fail("--goodput {}: the SLO must be >= 0 ms, got {}", key, ms);
    if (key == "ttft") {
      slo.ttft_ms = ms;
    } else if (key == "tpot") {
      slo.tpot_ms = ms;
    } else if (key == "e2el") {
      slo.e2el_ms = ms;
    } else {
      fail("--goodput: unknown metric \"{}\" (use ttft, tpot or e2el)", key);
    }
  }
  return slo;
}

std::vector<double> parse_percentiles(const std::string& text) {
  std::vector<double> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    std::string item = text.substr(pos, comma - pos);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    const double p = parse_number(item, "--percentiles");
    if (p < 0 || p > 100) fail("--percentiles: {} is not in [0, 100]", item);
    out.push_back(p);
    pos = comma + 1;
  }
  return out;
}

std::string percentile_key(double p) {
  if (p == std::floor(p)) return fmt::format("p{}", static_cast<long long>(p));
  return fmt::format("p{}", p);  // shortest round-trip form, as Python's str(float)
}

BenchmarkMetrics compute_metrics(std::span<const RequestResult> results, double duration,
                                 std::span<const double> percentiles, const GoodputSlo& slo) {
  BenchmarkMetrics m;
  m.duration = duration;
  std::vector<double> ttfts, tpots, all_tpots, itls, e2els;
  for (const RequestResult& r : results) {
    if (!r.success) {
      m.output_lens.push_back(0);
      ++m.failed;
      continue;
    }
    m.output_lens.push_back(r.output_tokens);
    m.total_input += r.prompt_len;
    double tpot = 0;  // vLLM: a one-token output has TPOT 0 for goodput and no TPOT sample
    if (r.output_tokens > 1) {
      tpot = (r.latency - r.ttft) / double(r.output_tokens - 1);
      tpots.push_back(tpot);
    }
    all_tpots.push_back(tpot);
    itls.insert(itls.end(), r.itl.begin(), r.itl.end());
    ttfts.push_back(r.ttft);
    e2els.push_back(r.latency);
    ++m.completed;
  }
  for (int n : m.output_lens) m.total_output += n;

  if (slo.any()) {
    int good = 0;
    for (size_t i = 0; i < ttfts.size(); ++i) {
      const bool ok = (!slo.ttft_ms || ttfts[i] * 1e3 <= *slo.ttft_ms) &&
                      (!slo.tpot_ms || all_tpots[i] * 1e3 <= *slo.tpot_ms) &&
                      (!slo.e2el_ms || e2els[i] * 1e3 <= *slo.e2el_ms);
      good += ok;
    }
    m.request_goodput = duration > 0 ? good / duration : 0.0;
  }
  if (duration > 0) {
    m.request_throughput = m.completed / duration;
    m.output_throughput = double(m.total_output) / duration;
    m.total_token_throughput = double(m.total_input + m.total_output) / duration;
  }
  m.ttft_ms = summarize(ttfts, percentiles, 1e3);
  m.tpot_ms = summarize(tpots, percentiles, 1e3);
  m.itl_ms = summarize(itls, percentiles, 1e3);
  m.e2el_ms = summarize(e2els, percentiles, 1e3);

  // vLLM's peak metrics over one-second buckets of the successful requests.
  double min_start = INFINITY, max_end = -INFINITY;
  for (const RequestResult& r : results) {
    if (!r.success) continue;
    min_start = std::min(min_start, r.start_time);
    max_end = std::max(max_end, r.start_time + r.latency);
  }
  if (min_start <= max_end) {
    const size_t seconds = size_t(std::ceil(max_end - min_start)) + 1;
    std::vector<double> tokens(seconds, 0.0);
    std::vector<int> active(seconds, 0);
    for (const RequestResult& r : results) {
      if (!r.success) continue;
      double t = r.start_time + r.ttft;
      auto count = [&](double at) {
        const double bucket = std::floor(at - min_start);
        if (bucket >= 0 && bucket < double(seconds)) tokens[size_t(bucket)] += 1;
      };
      count(t);
      for (double gap : r.itl) count(t += gap);
      const size_t first = size_t(r.start_time - min_start);
      const size_t last = std::min(size_t(r.start_time + r.latency - min_start), seconds - 1);
      for (size_t s = first; s <= last; ++s) ++active[s];
    }
    m.max_output_tokens_per_s = *std::max_element(tokens.begin(), tokens.end());
    m.max_concurrent_requests = *std::max_element(active.begin(), active.end());
  }

  // The exact peak: ends before starts at the same instant (no overlap).
  std::vector<std::pair<double, int>> events;
  for (const RequestResult& r : results) {
    events.emplace_back(r.start_time, +1);
    events.emplace_back(std::max(r.finish_time, r.start_time), -1);
  }
  std::sort(events.begin(), events.end());
  int in_flight = 0;
  for (const auto& [t, delta] : events) m.peak_concurrent_requests = std::max(m.peak_concurrent_requests, in_flight += delta);
  return m;
}

}  // namespace turbine::bench
