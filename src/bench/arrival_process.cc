#include "bench/arrival_process.h"

#include <cmath>
#include <limits>
#include <string>

#include "common/error.h"

namespace turbine::bench {

std::vector<double> draw_arrival_gaps(size_t n, double rate, double burstiness, std::mt19937_64& rng) {
  if (!(rate > 0) || !std::isfinite(rate)) fail("request rate must be a positive finite number, got {}", rate);
  if (!(burstiness > 0) || !std::isfinite(burstiness)) fail("--burstiness must be > 0, got {}", burstiness);
  std::gamma_distribution<double> gap(burstiness, 1.0 / (rate * burstiness));
  std::vector<double> gaps(n);
  for (double& g : gaps) g = gap(rng);
  return gaps;
}

std::vector<double> arrival_times(size_t n, double rate, double burstiness, uint64_t seed) {
  if (std::isinf(rate) && rate > 0) return std::vector<double>(n, 0.0);
  std::mt19937_64 rng(seed);
  std::vector<double> times = draw_arrival_gaps(n, rate, burstiness, rng);
  for (size_t i = 1; i < n; ++i) times[i] += times[i - 1];
  // vLLM rescales: summed gamma draws miss n/rate by a percent or two, which would make runs with
  // different seeds offer different loads.
  if (n > 0 && times.back() > 0) {
    const double scale = (double(n) / rate) / times.back();
    for (double& t : times) t *= scale;
  }
  return times;
}

double parse_request_rate(std::string_view text) {
  if (text == "inf" || text == "infinity" || text == "Inf") return std::numeric_limits<double>::infinity();
  const std::string s(text);
  size_t used = 0;
  double rate = 0;
  try {
    rate = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (s.empty() || used != s.size() || !std::isfinite(rate) || rate <= 0)
    fail("--request-rate must be a positive number of requests per second or \"inf\", got \"{}\"", s);
  return rate;
}

}  // namespace turbine::bench
