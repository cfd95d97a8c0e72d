#include "runner/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"

namespace turbine {
namespace {

// First prefix size tried by the top-p search, and how much it grows per round. A peaked
// distribution (the usual case for a language model) reaches its nucleus within the first 64.
constexpr size_t kTopPFirstPrefix = 64;
constexpr size_t kTopPPrefixGrowth = 8;

}  // namespace

LogSoftmaxStats log_softmax_stats(std::span<const float> logits) {
  TURBINE_CHECK(!logits.empty(), "empty logits row");
  float max_logit = logits[0];
  for (const float l : logits) max_logit = l > max_logit ? l : max_logit;
  TURBINE_CHECK(std::isfinite(max_logit), "logits row has no finite maximum ({})", max_logit);
  double sum = 0.0;
  for (const float l : logits) sum += double(std::exp(l - max_logit));
  const double log_sum_exp = std::log(sum);
  TURBINE_CHECK(std::isfinite(log_sum_exp), "logits row contains NaN");
  return {max_logit, log_sum_exp};
}

std::vector<std::pair<int32_t, float>> top_logprobs(std::span<const float> logits,
                                                    const LogSoftmaxStats& stats, int n) {
  const size_t count = std::min(size_t(std::max(n, 0)), logits.size());
  std::vector<std::pair<int32_t, float>> best;  // (id, logit), best first
  if (count == 0) return best;
  best.reserve(count + 1);
  for (size_t i = 0; i < logits.size(); ++i) {
    const float v = logits[i];
    if (best.size() == count && !(v > best.back().second)) continue;
    // Ids arrive in increasing order, so an equal value goes after the ones already held.
    auto pos = std::find_if(best.begin(), best.end(), [v](const auto& e) { return e.second < v; });
    best.insert(pos, {int32_t(i), v});
    if (best.size() > count) best.pop_back();
  }
  for (auto& entry : best) entry.second = stats.logprob(entry.second);
  return best;
}

int32_t argmax(std::span<const float> logits) {
  TURBINE_CHECK(!logits.empty(), "empty logits row");
  size_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i) {
    if (logits[i] > logits[best]) best = i;
  }
  return int32_t(best);
}

Sampler::SamplingRow Sampler::sampling_row(std::span<const float> logits,
                                            const LogSoftmaxStats& raw_stats,
                                            const SamplingParams& params,
                                            const SamplingContext& context) {
  if (!LogitTransforms::any_active(params, context)) return {logits, raw_stats.max_logit};
  transformed_logits_.assign(logits.begin(), logits.end());
  transforms_.apply(transformed_logits_, params, context);
  const float max_logit = transformed_logits_[size_t(argmax(transformed_logits_))];
  TURBINE_CHECK(std::isfinite(max_logit),
                "every token with a finite logit is suppressed ({} suppressed ids, vocab {})",
                context.suppressed_ids.size(), logits.size());
  return {transformed_logits_, max_logit};
}

SampleResult Sampler::sample(std::span<const float> logits, const SamplingParams& params,
                             const SamplingContext& context, RandomGenerator& rng) {
  return sample(logits, params, context, params.is_greedy() ? 0.0 : rng.next_double());
}

SampleResult Sampler::sample(std::span<const float> logits, const SamplingParams& params,
                             const SamplingContext& context, double uniform) {
  TURBINE_CHECK(logits.size() <= size_t(std::numeric_limits<int32_t>::max()));
  const LogSoftmaxStats stats = log_softmax_stats(logits);
  SampleResult result;
  if (params.logprobs > 0) result.top_logprobs = top_logprobs(logits, stats, params.logprobs);

  const SamplingRow row = sampling_row(logits, stats, params, context);
  if (params.is_greedy()) {
    result.token = argmax(row.logits);
  } else {
    const double total = filter_candidates(row.logits, row.max_logit, params);
    const double target = uniform * total;
    // Rounding can leave target a hair above the last cumulative sum: fall back to the last.
    result.token = candidates_.back().id;
    double cumulative = 0.0;
    for (const Candidate& c : candidates_) {
      cumulative += double(c.weight);
      if (cumulative > target) {
        result.token = c.id;
        break;
      }
    }
  }
  result.logprob = stats.logprob(logits[size_t(result.token)]);  // raw, see the header
  return result;
}

std::vector<std::pair<int32_t, double>> Sampler::candidate_distribution(
    std::span<const float> logits, const SamplingParams& params, const SamplingContext& context) {
  const LogSoftmaxStats stats = log_softmax_stats(logits);
  const SamplingRow row = sampling_row(logits, stats, params, context);
  if (params.is_greedy()) return {{argmax(row.logits), 1.0}};
  const double total = filter_candidates(row.logits, row.max_logit, params);
  if (!candidates_sorted_) {
    std::sort(candidates_.begin(), candidates_.end(), [](const Candidate& a, const Candidate& b) {
      return a.weight > b.weight || (a.weight == b.weight && a.id < b.id);
    });
  }
  std::vector<std::pair<int32_t, double>> distribution;
  distribution.reserve(candidates_.size());
  for (const Candidate& c : candidates_) distribution.emplace_back(c.id, double(c.weight) / total);
  return distribution;
}

double Sampler::filter_candidates(std::span<const float> logits, float max_logit,
                                  const SamplingParams& params) {
  // Top-k as a logit threshold; -inf keeps everything (-inf tokens get weight 0 below anyway).
  float min_logit = -std::numeric_limits<float>::infinity();
  if (params.top_k_enabled() && size_t(params.top_k) < logits.size()) {
    min_logit = kth_largest_logit(logits, params.top_k);
  }

  // Temperature. The maximum gets weight exactly 1, which min-p relies on. top_k_mass is the
  // total that top-p's target is measured against, before min-p removes anything.
  const float temperature = params.temperature;
  weights_.resize(logits.size());
  double top_k_mass = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) {
    const float weight =
        logits[i] >= min_logit ? std::exp((logits[i] - max_logit) / temperature) : 0.0f;
    weights_[i] = weight;
    top_k_mass += double(weight);
  }

  // Min-p and top-p both keep a prefix of the tokens sorted by weight, so a weight threshold
  // can drop tokens before any sorting: min-p's own (min_p * w_max), and for top-p the bound
  // that tokens lighter than (1 - top_p) * mass / V can never be in the nucleus (all of them
  // together weigh at most what top-p drops). The small slack keeps that bound safe under
  // rounding. Survivors of both are then the same as HF's top-p-then-min-p (see the header).
  float min_weight = std::numeric_limits<float>::denorm_min();  // underflowed tokens never win
  if (params.min_p_enabled()) min_weight = std::max(min_weight, params.min_p);
  if (params.top_p_enabled()) {
    const double never_in_nucleus =
        (1.0 - double(params.top_p)) * top_k_mass / double(logits.size()) * (1.0 - 1e-6);
    min_weight = std::max(min_weight, float(never_in_nucleus));
  }
  candidates_.clear();
  candidates_sorted_ = false;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (weights_[i] >= min_weight) candidates_.push_back({int32_t(i), weights_[i]});
  }
  if (params.top_p_enabled()) {
    candidates_.resize(top_p_prefix(double(params.top_p) * top_k_mass));
    candidates_sorted_ = true;
  }
  TURBINE_CHECK(!candidates_.empty(), "sampling filters removed every token");

  double total = 0.0;
  for (const Candidate& c : candidates_) total += double(c.weight);
  return total;
}

float Sampler::kth_largest_logit(std::span<const float> logits, int k) {
  scratch_logits_.assign(logits.begin(), logits.end());
  auto nth = scratch_logits_.begin() + (k - 1);
  std::nth_element(scratch_logits_.begin(), nth, scratch_logits_.end(), std::greater<float>());
  return *nth;
}

size_t Sampler::top_p_prefix(double target_mass) {
  const auto better = [](const Candidate& a, const Candidate& b) {
    return a.weight > b.weight || (a.weight == b.weight && a.id < b.id);
  };
  const size_t n = candidates_.size();
  size_t sorted = 0;  // candidates_[0, sorted) are the best `sorted`, in order
  double cumulative = 0.0;
  size_t prefix = kTopPFirstPrefix;
  while (true) {
    const size_t end = std::min(n, prefix);
    if (end < n) std::nth_element(candidates_.begin() + sorted, candidates_.begin() + end,
                                  candidates_.end(), better);
    std::sort(candidates_.begin() + sorted, candidates_.begin() + end, better);
    for (size_t i = sorted; i < end; ++i) {
      cumulative += double(candidates_[i].weight);
      if (cumulative >= target_mass) return i + 1;
    }
    if (end == n) return n;  // the mass ran out first (min-p removed the rest, or rounding)
    sorted = end;
    prefix *= kTopPPrefixGrowth;
  }
}

}  // namespace turbine
