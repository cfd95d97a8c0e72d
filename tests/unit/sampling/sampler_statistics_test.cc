// Statistical tests of the sampler: draw many tokens from small hand-made distributions and
// check the counts against the expected post-filter probabilities with a chi-square
// goodness-of-fit test. The expected probabilities come from an independent double-precision
// implementation of the filters (full sort, the HF order), so these tests check both the filters
// and the inverse-CDF draw. The seed is fixed, so each test's verdict is deterministic; the
// threshold is the 0.999 quantile, so a correct sampler passes with 99.9% probability per seed
// and a wrong one (see DetectsAWrongTemperature) fails by a wide margin.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "reference_logit_transforms.h"
#include "runner/sampler.h"

namespace turbine {
namespace {

constexpr int kDraws = 40000;

// Upper 0.999 quantile of chi-square with `dof` degrees of freedom: table for small dof,
// Wilson-Hilferty's cube approximation beyond it.
double chi_square_critical_999(int dof) {
  static const double kTable[] = {0.0,    10.828, 13.816, 16.266, 18.467, 20.515,
                                  22.458, 24.322, 26.124, 27.877, 29.588};
  if (dof <= 10) return kTable[dof];
  const double z = 3.0902;  // standard normal 0.999 quantile
  const double k = dof;
  const double a = 2.0 / (9.0 * k);
  return k * std::pow(1.0 - a + z * std::sqrt(a), 3.0);
}

// softmax(logits / T), then top-k (ties with the k-th kept), top-p (shortest prefix of the
// probability-sorted tokens with mass >= top_p, ties to lower ids), min-p (p >= min_p * p_max);
// returns the renormalised probabilities, 0 for removed tokens. All in double.
std::vector<double> expected_probabilities(const std::vector<float>& logits,
                                           const SamplingParams& p) {
  const size_t n = logits.size();
  const double max = *std::max_element(logits.begin(), logits.end());
  std::vector<double> prob(n);
  for (size_t i = 0; i < n; ++i) prob[i] = std::exp((double(logits[i]) - max) / p.temperature);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return prob[a] > prob[b]; });
  std::vector<bool> kept(n, true);
  if (p.top_k > 0 && size_t(p.top_k) < n) {
    const double kth = logits[order[size_t(p.top_k) - 1]];
    for (size_t i = 0; i < n; ++i) kept[i] = logits[i] >= kth;
  }
  if (p.top_p < 1.0f) {
    double mass = 0.0;
    for (size_t i = 0; i < n; ++i) mass += kept[i] ? prob[i] : 0.0;
    double cumulative = 0.0;
    bool reached = false;
    for (size_t i : order) {
      if (!kept[i]) continue;
      if (reached) {
        kept[i] = false;
        continue;
      }
      cumulative += prob[i];
      reached = cumulative >= double(p.top_p) * mass;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (prob[i] < double(p.min_p)) kept[i] = false;  // prob[max] == 1
  }
  double total = 0.0;
  for (size_t i = 0; i < n; ++i) total += kept[i] ? prob[i] : 0.0;
  for (size_t i = 0; i < n; ++i) prob[i] = kept[i] ? prob[i] / total : 0.0;
  return prob;
}

std::vector<int> draw_counts(const std::vector<float>& logits, const SamplingParams& p,
                             uint64_t seed, int draws, const SamplingContext& context = {}) {
  Sampler sampler;
  RandomGenerator rng(seed);
  std::vector<int> counts(logits.size(), 0);
  for (int i = 0; i < draws; ++i) counts[size_t(sampler.sample(logits, p, context, rng).token)]++;
  return counts;
}

struct ChiSquare {
  double statistic = 0.0;
  int dof = 0;
  int impossible_draws = 0;  // draws of tokens whose expected probability is 0
};

ChiSquare chi_square(const std::vector<int>& counts, const std::vector<double>& expected) {
  ChiSquare result;
  int total = 0;
  for (int c : counts) total += c;
  int cells = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (expected[i] == 0.0) {
      result.impossible_draws += counts[i];
      continue;
    }
    const double e = expected[i] * total;
    EXPECT_GE(e, 5.0) << "test distribution too thin for chi-square at token " << i;
    result.statistic += (counts[i] - e) * (counts[i] - e) / e;
    ++cells;
  }
  result.dof = cells - 1;
  return result;
}

// Ten tokens with distinct logits, placed out of order so that ids and ranks differ.
const std::vector<float> kLogits = {-0.3f, 2.0f, -1.5f, 0.5f,  -4.0f,
                                   1.0f,  -0.7f, 0.0f, -2.5f, -1.0f};

struct FilterCase {
  const char* name;
  float temperature;
  int top_k;
  float top_p;
  float min_p;
};

class SamplerStatistics : public ::testing::TestWithParam<FilterCase> {};

TEST_P(SamplerStatistics, CountsFitTheExpectedDistribution) {
  const FilterCase& c = GetParam();
  SamplingParams p;
  p.temperature = c.temperature;
  p.top_k = c.top_k;
  p.top_p = c.top_p;
  p.min_p = c.min_p;
  const std::vector<double> expected = expected_probabilities(kLogits, p);

  // The sampler's own view of the distribution agrees with the reference first.
  Sampler sampler;
  for (const auto& [id, prob] : sampler.candidate_distribution(kLogits, p)) {
    EXPECT_NEAR(prob, expected[size_t(id)], 1e-6) << "token " << id;
  }

  const std::vector<int> counts = draw_counts(kLogits, p, 20240611, kDraws);
  const ChiSquare fit = chi_square(counts, expected);
  EXPECT_EQ(fit.impossible_draws, 0) << "sampled a token its filters remove";
  ASSERT_GE(fit.dof, 1) << "case must keep at least two tokens";
  RecordProperty("chi_square", std::to_string(fit.statistic));
  RecordProperty("dof", fit.dof);
  EXPECT_LT(fit.statistic, chi_square_critical_999(fit.dof))
      << c.name << ": chi-square " << fit.statistic << " with " << fit.dof << " dof";
}

INSTANTIATE_TEST_SUITE_P(
    Filters, SamplerStatistics,
    ::testing::Values(FilterCase{"plain", 1.0f, 0, 1.0f, 0.0f},
                      FilterCase{"hot", 2.0f, 0, 1.0f, 0.0f},
                      FilterCase{"cool_top_k", 0.6f, 5, 1.0f, 0.0f},
                      FilterCase{"top_p", 1.3f, 0, 0.8f, 0.0f},
                      FilterCase{"min_p", 1.0f, 0, 1.0f, 0.15f},
                      FilterCase{"all_filters", 0.8f, 7, 0.9f, 0.05f}),
    [](const ::testing::TestParamInfo<FilterCase>& info) { return std::string(info.param.name); });

TEST(SamplerStatisticsTies, TiedTokensAreEquallyLikely) {
  const std::vector<float> logits = {1.0f, 0.0f, 1.0f, 1.0f, -3.0f};
  SamplingParams p;
  p.top_k = 3;
  const std::vector<int> counts = draw_counts(logits, p, 5, 30000);
  const std::vector<double> expected = {1.0 / 3, 0, 1.0 / 3, 1.0 / 3, 0};
  const ChiSquare fit = chi_square(counts, expected);
  EXPECT_EQ(fit.impossible_draws, 0);
  EXPECT_LT(fit.statistic, chi_square_critical_999(fit.dof));
}

TEST(SamplerStatisticsPower, DetectsAWrongTemperature) {
  // Draw at T = 1.15 but test against T = 1: the test must reject clearly, or it has no teeth.
  SamplingParams drawn;
  drawn.temperature = 1.15f;
  SamplingParams claimed;
  claimed.temperature = 1.0f;
  const ChiSquare fit =
      chi_square(draw_counts(kLogits, drawn, 99, kDraws), expected_probabilities(kLogits, claimed));
  RecordProperty("chi_square", std::to_string(fit.statistic));
  EXPECT_GT(fit.statistic, 3.0 * chi_square_critical_999(fit.dof));
}

TEST(SamplerStatisticsPower, DetectsAMissingFilter) {
  // Draw without top-p but test against top-p 0.8: tokens outside the nucleus show up.
  SamplingParams drawn;
  SamplingParams claimed;
  claimed.top_p = 0.8f;
  const ChiSquare fit =
      chi_square(draw_counts(kLogits, drawn, 99, kDraws), expected_probabilities(kLogits, claimed));
  EXPECT_GT(fit.impossible_draws, 1000);
}

// ---- with logit transforms active ----

// Every transform at once on kLogits: the argmax (id 1) suppressed, id 5 (second best) and id 3
// penalised as repeats, id 7 pushed up by a bias. Expected probabilities: the reference
// transforms (reference_logit_transforms.h), then the reference filters above.
struct TransformedCase {
  SamplingParams params;
  std::vector<int32_t> prompt = {3, 9};
  std::vector<int32_t> output = {5, 5, 3, 0};
  std::vector<int32_t> suppressed = {1};

  TransformedCase() {
    params.temperature = 0.9f;
    params.top_p = 0.97f;
    params.presence_penalty = 0.3f;
    params.frequency_penalty = 0.4f;
    params.repetition_penalty = 1.3f;
    params.logit_bias = {{7, 1.5f}};
  }
  SamplingContext context() const { return {prompt, output, suppressed}; }
  std::vector<double> expected() const {
    return expected_probabilities(
        reference::reference_transformed_logits(kLogits, params, context()),
        reference::without_transforms(params));
  }
};

TEST(SamplerStatisticsTransforms, CountsFitTheTransformedDistribution) {
  const TransformedCase c;
  const std::vector<double> expected = c.expected();
  const ChiSquare fit = chi_square(draw_counts(kLogits, c.params, 31337, kDraws, c.context()), expected);
  EXPECT_EQ(fit.impossible_draws, 0) << "sampled a suppressed or filtered token";
  ASSERT_GE(fit.dof, 4);
  RecordProperty("chi_square", std::to_string(fit.statistic));
  EXPECT_LT(fit.statistic, chi_square_critical_999(fit.dof))
      << "chi-square " << fit.statistic << " with " << fit.dof << " dof";
}

TEST(SamplerStatisticsPower, DetectsAMissingPenalty) {
  // Draw with everything but the frequency penalty: the test must reject it.
  const TransformedCase c;
  SamplingParams drawn = c.params;
  drawn.frequency_penalty = 0.0f;
  const ChiSquare fit = chi_square(draw_counts(kLogits, drawn, 99, kDraws, c.context()), c.expected());
  RecordProperty("chi_square", std::to_string(fit.statistic));
  EXPECT_GT(fit.statistic, 3.0 * chi_square_critical_999(fit.dof));
}

}  // namespace
}  // namespace turbine
