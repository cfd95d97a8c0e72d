// The sampler with logit transforms active: greedy and random sampling see the transformed row,
// logprobs stay raw, suppression under min_tokens is never violated, logit_bias forces and
// bans tokens, seeds keep their meaning, and the result agrees with sampling a row transformed
// by the plain reference (reference_logit_transforms.h), on small and large vocabularies.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include "reference_logit_transforms.h"
#include "runner/sampler.h"

namespace turbine {
namespace {

using reference::reference_transformed_logits;
using reference::without_transforms;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Deterministic pseudo-normal logits (sum of uniforms), scaled by `spread`.
std::vector<float> noisy_logits(size_t n, uint64_t seed, float spread) {
  RandomGenerator rng(seed);
  std::vector<float> logits(n);
  for (float& l : logits) {
    double s = 0.0;
    for (int i = 0; i < 4; ++i) s += rng.next_double() - 0.5;
    l = float(s * spread);
  }
  return logits;
}

// `n` ids in [0, vocab) from a fixed stream, with repeats.
std::vector<int32_t> random_ids(size_t n, int32_t vocab, uint64_t seed) {
  RandomGenerator rng(seed);
  std::vector<int32_t> ids(n);
  for (int32_t& id : ids) id = int32_t(rng.next_u32() % uint32_t(vocab));
  return ids;
}

SamplingParams greedy() {
  SamplingParams p;
  p.temperature = 0.0f;
  return p;
}

// A mix of every transform, for the tests that only need "something active".
SamplingParams with_all_transforms(float temperature) {
  SamplingParams p;
  p.temperature = temperature;
  p.presence_penalty = 0.7f;
  p.frequency_penalty = 0.3f;
  p.repetition_penalty = 1.3f;
  p.logit_bias = {{3, 2.5f}, {17, -4.0f}};
  return p;
}

// ---- suppression (EOS and stop tokens before min_tokens) ----

TEST(SamplerSuppression, GreedyNeverPicksASuppressedArgmax) {
  Sampler sampler;
  RandomGenerator rng(1);
  const std::vector<float> logits = {5, 1, 3, 5};
  const std::vector<int32_t> suppressed = {0, 3};
  EXPECT_EQ(sampler.sample(logits, greedy(), {{}, {}, suppressed}, rng).token, 2);
  EXPECT_EQ(sampler.sample(logits, greedy(), rng).token, 0) << "the same row, unsuppressed";
  EXPECT_EQ(rng.position(), 0u);
}

TEST(SamplerSuppression, RandomSamplingNeverPicksASuppressedToken) {
  Sampler sampler;
  RandomGenerator rng(2);
  SamplingParams p;
  p.temperature = 3.0f;
  const std::vector<float> logits = {4, 0, 4, 1, 4};
  const std::vector<int32_t> suppressed = {0, 4, 99};
  const SamplingContext context{{}, {}, suppressed};
  std::set<int32_t> support;
  for (const auto& [id, prob] : sampler.candidate_distribution(logits, p, context)) {
    support.insert(id);
  }
  EXPECT_EQ(support, (std::set<int32_t>{1, 2, 3}));
  std::set<int32_t> drawn;
  for (int i = 0; i < 500; ++i) drawn.insert(sampler.sample(logits, p, context, rng).token);
  EXPECT_EQ(drawn, (std::set<int32_t>{1, 2, 3}));
}

TEST(SamplerSuppressionDeathTest, SuppressingEveryFiniteTokenIsABug) {
  Sampler sampler;
  RandomGenerator rng(3);
  const std::vector<float> logits = {kNegInf, 1, 2};
  const std::vector<int32_t> suppressed = {1, 2};
  EXPECT_DEATH(sampler.sample(logits, greedy(), {{}, {}, suppressed}, rng), "suppressed");
}

// ---- logit_bias ----

TEST(SamplerLogitBias, PlusOneHundredForcesAToken) {
  const std::vector<float> logits = noisy_logits(1000, 4, 8.0f);
  const auto weakest =
      int32_t(std::min_element(logits.begin(), logits.end()) - logits.begin());
  Sampler sampler;
  RandomGenerator rng(5);
  SamplingParams p = greedy();
  p.logit_bias = {{weakest, 100.0f}};
  EXPECT_EQ(sampler.sample(logits, p, rng).token, weakest);
  p.temperature = 1.0f;
  for (int i = 0; i < 200; ++i) ASSERT_EQ(sampler.sample(logits, p, rng).token, weakest);
}

TEST(SamplerLogitBias, MinusOneHundredBansAToken) {
  Sampler sampler;
  RandomGenerator rng(6);
  SamplingParams p = greedy();
  p.logit_bias = {{0, -100.0f}};
  const std::vector<float> logits = {3, 0, -1};
  EXPECT_EQ(sampler.sample(logits, p, rng).token, 1);
  p.temperature = 1.5f;
  for (int i = 0; i < 2000; ++i) ASSERT_NE(sampler.sample(logits, p, rng).token, 0);
}

// ---- logprobs stay raw ----

TEST(SamplerTransformsLogprobs, AreThoseOfTheRawLogits) {
  const std::vector<float> logits = noisy_logits(5000, 11, 10.0f);
  const std::vector<int32_t> prompt = random_ids(300, 5000, 1);
  const std::vector<int32_t> output = random_ids(50, 5000, 2);
  const std::vector<int32_t> suppressed = {7, 8};
  const SamplingContext context{prompt, output, suppressed};
  Sampler sampler;
  RandomGenerator rng(7);
  const LogSoftmaxStats raw = log_softmax_stats(logits);
  for (const float temperature : {0.0f, 0.8f}) {
    SamplingParams p = with_all_transforms(temperature);
    p.logprobs = kMaxLogprobs;
    SamplingParams plain = without_transforms(p);
    RandomGenerator plain_rng(7);
    const SampleResult untransformed = sampler.sample(logits, plain, plain_rng);
    for (int i = 0; i < 10; ++i) {
      const SampleResult r = sampler.sample(logits, p, context, rng);
      EXPECT_FLOAT_EQ(r.logprob, raw.logprob(logits[size_t(r.token)]));
      EXPECT_EQ(r.top_logprobs, untransformed.top_logprobs);
    }
  }
}

TEST(SamplerTransformsLogprobs, AForcedTokenKeepsItsLowRawLogprob) {
  Sampler sampler;
  RandomGenerator rng(8);
  SamplingParams p = greedy();
  p.logprobs = 1;
  p.logit_bias = {{2, 100.0f}};
  const std::vector<float> logits = {0, 0, -10};
  const SampleResult r = sampler.sample(logits, p, rng);
  EXPECT_EQ(r.token, 2);
  EXPECT_LT(r.logprob, -10.0f);
  ASSERT_EQ(r.top_logprobs.size(), 1u);
  EXPECT_EQ(r.top_logprobs[0].first, 0) << "top logprobs describe the model, not the bias";
}

// ---- agreement with the reference transforms ----

struct TransformCase {
  float temperature;
  int top_k;
  float top_p;
  float min_p;
  float presence;
  float frequency;
  float repetition;
};

void expect_same_distribution(Sampler& sampler, const std::vector<float>& logits,
                              const SamplingParams& p, const SamplingContext& context) {
  const std::vector<float> transformed = reference_transformed_logits(logits, p, context);
  const auto expected = sampler.candidate_distribution(transformed, without_transforms(p));
  const auto actual = sampler.candidate_distribution(logits, p, context);
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(actual[i].first, expected[i].first) << i;
    EXPECT_EQ(actual[i].second, expected[i].second) << i;
  }
}

TEST(SamplerTransformsReference, DistributionIsThatOfTheTransformedRow) {
  constexpr int32_t kVocab = 152064;
  const std::vector<float> logits = noisy_logits(kVocab, 2025, 12.0f);
  // A long prompt and output, so that the penalties touch thousands of tokens with repeats.
  const std::vector<int32_t> prompt = random_ids(8000, kVocab, 3);
  std::vector<int32_t> output = random_ids(1500, kVocab, 4);
  // Put some of the best tokens into the history so the penalties change the nucleus.
  std::vector<int32_t> order(static_cast<size_t>(kVocab));
  for (int32_t i = 0; i < kVocab; ++i) order[size_t(i)] = i;
  std::partial_sort(order.begin(), order.begin() + 20, order.end(),
                    [&](int32_t a, int32_t b) { return logits[size_t(a)] > logits[size_t(b)]; });
  for (int i = 0; i < 20; i += 2) output.insert(output.end(), i / 2 + 1, order[size_t(i)]);
  const std::vector<int32_t> suppressed = {order[1], order[3], kVocab + 5};
  const SamplingContext context{prompt, output, suppressed};

  const TransformCase cases[] = {
      {1.0f, 0, 0.9f, 0.0f, 0.5f, 0.0f, 1.0f},   {0.7f, 50, 0.95f, 0.0f, 0.0f, 1.0f, 1.0f},
      {1.0f, 0, 1.0f, 0.05f, 0.0f, 0.0f, 1.3f},  {1.2f, 40, 0.8f, 0.02f, -1.0f, 0.5f, 1.1f},
      {0.0f, 0, 1.0f, 0.0f, 2.0f, 2.0f, 2.0f},
  };
  Sampler sampler;
  for (const TransformCase& c : cases) {
    SamplingParams p;
    p.temperature = c.temperature;
    p.top_k = c.top_k;
    p.top_p = c.top_p;
    p.min_p = c.min_p;
    p.presence_penalty = c.presence;
    p.frequency_penalty = c.frequency;
    p.repetition_penalty = c.repetition;
    p.logit_bias = {{order[5], -3.0f}, {order[100], 4.0f}, {kVocab - 1, 1.0f}};
    SCOPED_TRACE(::testing::Message() << "T=" << c.temperature << " presence=" << c.presence
                                    << " frequency=" << c.frequency
                                    << " repetition=" << c.repetition);
    expect_same_distribution(sampler, logits, p, context);
  }
}

TEST(SamplerTransformsReference, SeededDrawsMatchSamplingTheTransformedRow) {
  // Transforms change the row, never how the generator is used: the same seed picks the same
  // tokens as sampling the reference-transformed row directly.
  const std::vector<float> logits = noisy_logits(3000, 9, 6.0f);
  const std::vector<int32_t> prompt = random_ids(200, 3000, 5);
  const std::vector<int32_t> output = random_ids(40, 3000, 6);
  const std::vector<int32_t> suppressed = {11};
  const SamplingContext context{prompt, output, suppressed};
  SamplingParams p = with_all_transforms(0.9f);
  p.top_p = 0.9f;
  const std::vector<float> transformed = reference_transformed_logits(logits, p, context);
  Sampler sampler;
  RandomGenerator a(1234), b(1234);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(sampler.sample(logits, p, context, a).token,
              sampler.sample(transformed, without_transforms(p), b).token);
  }
  EXPECT_EQ(a.position(), uint64_t(2 * 50)) << "still exactly one double per random sample";
}

// ---- reproducibility ----

TEST(SamplerTransformsReproducibility, SameSeedAndHistorySameTokens) {
  const std::vector<float> logits = noisy_logits(2000, 12, 4.0f);
  const std::vector<int32_t> prompt = random_ids(100, 2000, 7);
  SamplingParams p = with_all_transforms(1.0f);
  // A little generation loop: each token joins the output the next step penalises.
  auto generate = [&](uint64_t seed) {
    Sampler sampler;
    RandomGenerator rng(seed);
    std::vector<int32_t> output;
    for (int i = 0; i < 60; ++i) {
      output.push_back(sampler.sample(logits, p, {prompt, output, {}}, rng).token);
    }
    return output;
  };
  const std::vector<int32_t> first = generate(77);
  EXPECT_EQ(first, generate(77));
  EXPECT_NE(first, generate(78));
}

TEST(SamplerTransformsReproducibility, AnInactiveContextChangesNothing) {
  // History without any penalty takes the raw fast path: identical to the call without context.
  const std::vector<float> logits = noisy_logits(500, 77, 6.0f);
  const std::vector<int32_t> history = random_ids(100, 500, 8);
  SamplingParams p;
  p.temperature = 0.9f;
  p.top_k = 50;
  p.top_p = 0.9f;
  Sampler sampler;
  RandomGenerator a(1234), b(1234);
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(sampler.sample(logits, p, {history, history, {}}, a).token,
              sampler.sample(logits, p, b).token);
  }
}

// ---- penalties over a generation ----

std::vector<int32_t> greedy_generation(const SamplingParams& p, int steps) {
  Sampler sampler;
  RandomGenerator rng(0);
  const std::vector<float> flat = {1, 1, 1, 1};
  std::vector<int32_t> output;
  for (int i = 0; i < steps; ++i) output.push_back(sampler.sample(flat, p, {{}, output, {}}, rng).token);
  return output;
}

TEST(SamplerPenaltiesOverAGeneration, FrequencyCyclesPresenceSaturates) {
  SamplingParams frequency = greedy();
  frequency.frequency_penalty = 0.5f;
  EXPECT_EQ(greedy_generation(frequency, 8), (std::vector<int32_t>{0, 1, 2, 3, 0, 1, 2, 3}));
  // Presence penalises each token once: when all four have appeared they tie again.
  SamplingParams presence = greedy();
  presence.presence_penalty = 0.5f;
  EXPECT_EQ(greedy_generation(presence, 6), (std::vector<int32_t>{0, 1, 2, 3, 0, 0}));
}

}  // namespace
}  // namespace turbine
