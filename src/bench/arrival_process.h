// When each request of a serving benchmark is sent: vLLM's arrival process, pre-drawn and seeded.
//
// Gaps between requests are Gamma(shape = burstiness, scale = 1 / (rate * burstiness)): mean
// 1/rate whatever the burstiness, coefficient of variation 1/sqrt(burstiness). Burstiness 1 is a
// Poisson process (exponential gaps); below 1 the arrivals come in bursts, above 1 they are more
// even. An infinite rate sends everything at time 0.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

namespace turbine::bench {

// The raw gaps (seconds) between n consecutive requests; `rate` must be finite and > 0.
std::vector<double> draw_arrival_gaps(size_t n, double rate, double burstiness, std::mt19937_64& rng);

// Send times (seconds after the start) of n requests, non-decreasing. As vLLM's
// `get_request`: the cumulative gaps (the first request waits one gap too), rescaled so that the
// last one lands exactly at n / rate, which keeps the offered load the same for every seed.
std::vector<double> arrival_times(size_t n, double rate, double burstiness, uint64_t seed);

// "inf" (or "infinity") or a positive number of requests per second; throws turbine::Error.
double parse_request_rate(std::string_view text);

}  // namespace turbine::bench
