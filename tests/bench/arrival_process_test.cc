// The arrival process: gaps with the right mean (the request rate), the right spread (gamma with
// shape = burstiness), the right shape, and vLLM's rescaled schedule.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "bench/arrival_process.h"
#include "common/error.h"

namespace turbine::bench {
namespace {

struct Moments {
  double mean = 0, variance = 0;
};

Moments moments(const std::vector<double>& v) {
  Moments m;
  m.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  for (double x : v) m.variance += (x - m.mean) * (x - m.mean);
  m.variance /= double(v.size() - 1);
  return m;
}

// 200k gaps: the standard error of the mean is under 0.3% of it (CV <= 2), so a 2% tolerance
// never fails by chance and fails for any rate off by more than a few percent.
constexpr size_t kDraws = 200000;

TEST(ArrivalProcess, MeanGapIsOneOverTheRate) {
  for (double rate : {0.5, 4.0, 16.0, 250.0}) {
    for (double burstiness : {0.25, 1.0, 4.0}) {
      std::mt19937_64 rng(7);
      const Moments m = moments(draw_arrival_gaps(kDraws, rate, burstiness, rng));
      EXPECT_NEAR(m.mean * rate, 1.0, 0.02) << "rate " << rate << " burstiness " << burstiness;
    }
  }
}

TEST(ArrivalProcess, VarianceFollowsTheBurstiness) {
  // Gamma(k, 1/(rate k)): variance 1/(k rate^2), so the squared coefficient of variation is 1/k.
  for (double burstiness : {0.25, 0.5, 1.0, 2.0, 4.0}) {
    std::mt19937_64 rng(11);
    const Moments m = moments(draw_arrival_gaps(kDraws, 8.0, burstiness, rng));
    const double cv2 = m.variance / (m.mean * m.mean);
    EXPECT_NEAR(cv2 * burstiness, 1.0, 0.05) << "burstiness " << burstiness;
  }
}

TEST(ArrivalProcess, PoissonGapsAreExponential) {
  // P(gap < mean) = 1 - 1/e for an exponential (gamma with shape 1 would give 0.567 at shape 4).
  std::mt19937_64 rng(3);
  const std::vector<double> gaps = draw_arrival_gaps(kDraws, 10.0, 1.0, rng);
  const double below = double(std::count_if(gaps.begin(), gaps.end(), [](double g) { return g < 0.1; })) / kDraws;
  EXPECT_NEAR(below, 1.0 - std::exp(-1.0), 0.005);
  // And the number of arrivals in each one-second window is Poisson(10): variance = mean.
  std::vector<double> counts(2000, 0.0);
  double t = 0;
  for (double g : gaps) {
    t += g;
    if (t >= double(counts.size())) break;
    counts[size_t(t)] += 1;
  }
  const Moments c = moments(counts);
  EXPECT_NEAR(c.mean, 10.0, 0.3);
  EXPECT_NEAR(c.variance / c.mean, 1.0, 0.1);
}

TEST(ArrivalProcess, ScheduleIsRescaledToNOverRate) {
  const std::vector<double> times = arrival_times(1000, 20.0, 1.0, 42);
  ASSERT_EQ(times.size(), 1000u);
  EXPECT_TRUE(std::is_sorted(times.begin(), times.end()));
  EXPECT_GT(times.front(), 0.0);  // vLLM: the first request waits one gap too
  EXPECT_NEAR(times.back(), 1000 / 20.0, 1e-9);
  // Seeded: the same seed gives the same schedule, another seed another one.
  EXPECT_EQ(times, arrival_times(1000, 20.0, 1.0, 42));
  EXPECT_NE(times, arrival_times(1000, 20.0, 1.0, 43));
}

TEST(ArrivalProcess, InfiniteRateSendsEverythingAtOnce) {
  const std::vector<double> times = arrival_times(50, std::numeric_limits<double>::infinity(), 1.0, 0);
  EXPECT_EQ(times, std::vector<double>(50, 0.0));
}

TEST(ArrivalProcess, ParsesRates) {
  EXPECT_TRUE(std::isinf(parse_request_rate("inf")));
  EXPECT_DOUBLE_EQ(parse_request_rate("4"), 4.0);
  EXPECT_DOUBLE_EQ(parse_request_rate("0.5"), 0.5);
  for (const char* bad : {"0", "-2", "abc", "", "4x", "nan"}) EXPECT_THROW(parse_request_rate(bad), Error) << bad;
  std::mt19937_64 rng(0);
  EXPECT_THROW(draw_arrival_gaps(3, 1.0, 0.0, rng), Error);
  EXPECT_THROW(draw_arrival_gaps(3, 0.0, 1.0, rng), Error);
}

}  // namespace
}  // namespace turbine::bench
