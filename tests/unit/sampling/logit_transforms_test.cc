// Exact values of each logit transform on hand-made rows: which tokens each penalty reads
// (prompt vs output), counts, the order of the steps, suppression, and that the per-token
// scratch does not leak between calls. The values are chosen to be exact in binary, so the
// expectations are exact too. How the sampler uses the transformed row is tested in
// sampler_transforms_test.cc.
#include "runner/logit_transforms.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace turbine {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

struct Case {
  SamplingParams params;
  std::vector<int32_t> prompt;
  std::vector<int32_t> output;
  std::vector<int32_t> suppressed;

  std::vector<float> apply(LogitTransforms& transforms, std::vector<float> row) const {
    transforms.apply(row, params, context());
    return row;
  }
  SamplingContext context() const { return {prompt, output, suppressed}; }
};

TEST(LogitTransforms, NothingIsActiveByDefault) {
  Case c;
  EXPECT_FALSE(LogitTransforms::any_active(c.params, c.context()));
  c.prompt = {1, 2};
  c.output = {3};
  EXPECT_FALSE(LogitTransforms::any_active(c.params, c.context()))
      << "history alone changes nothing without a penalty";
}

TEST(LogitTransforms, ActiveOnlyWhenSomethingCanChange) {
  Case c;
  c.params.presence_penalty = 0.5f;
  EXPECT_FALSE(LogitTransforms::any_active(c.params, c.context())) << "no output yet";
  c.prompt = {1};
  EXPECT_FALSE(LogitTransforms::any_active(c.params, c.context())) << "prompt is not penalised";
  c.output = {1};
  EXPECT_TRUE(LogitTransforms::any_active(c.params, c.context()));

  Case r;
  r.params.repetition_penalty = 1.2f;
  EXPECT_FALSE(LogitTransforms::any_active(r.params, r.context()));
  r.prompt = {4};
  EXPECT_TRUE(LogitTransforms::any_active(r.params, r.context())) << "prompt counts for it";

  Case b;
  b.params.logit_bias[2] = 1.0f;
  EXPECT_TRUE(LogitTransforms::any_active(b.params, b.context()));

  Case s;
  s.suppressed = {0};
  EXPECT_TRUE(LogitTransforms::any_active(s.params, s.context()));
}

TEST(LogitTransforms, FrequencyAndPresenceReadOnlyTheOutput) {
  LogitTransforms transforms;
  Case c;
  c.params.frequency_penalty = 0.5f;
  c.params.presence_penalty = 0.25f;
  c.prompt = {1, 1, 1, 3};
  c.output = {0, 2, 0, 0};
  // Token 0: three times, 1 - 1.5 - 0.25; token 2: once, 1 - 0.5 - 0.25; 1 and 3 are prompt only.
  EXPECT_EQ(c.apply(transforms, {1, 1, 1, 1, 1}), (std::vector<float>{-0.75f, 1, 0.25f, 1, 1}));
}

TEST(LogitTransforms, PresenceIsOncePerTokenFrequencyPerOccurrence) {
  LogitTransforms transforms;
  Case presence;
  presence.params.presence_penalty = 1.5f;
  presence.output = {1, 1, 1, 1, 2};
  EXPECT_EQ(presence.apply(transforms, {0, 0, 0}), (std::vector<float>{0, -1.5f, -1.5f}));
  Case frequency;
  frequency.params.frequency_penalty = 1.5f;
  frequency.output = {1, 1, 1, 1, 2};
  EXPECT_EQ(frequency.apply(transforms, {0, 0, 0}), (std::vector<float>{0, -6.0f, -1.5f}));
}

TEST(LogitTransforms, NegativePenaltiesEncourageRepeats) {
  LogitTransforms transforms;
  Case c;
  c.params.frequency_penalty = -2.0f;
  c.params.presence_penalty = -1.0f;
  c.output = {1, 1};
  EXPECT_EQ(c.apply(transforms, {0.5f, 0.5f}), (std::vector<float>{0.5f, 5.5f}));
}

TEST(LogitTransforms, RepetitionDividesPositiveAndMultipliesNegativeLogits) {
  LogitTransforms transforms;
  Case c;
  c.params.repetition_penalty = 2.0f;
  c.prompt = {0, 1, 2};
  c.output = {3, 0, 0};
  // Token 0 appears three times but is penalised once; 4 never appears.
  EXPECT_EQ(c.apply(transforms, {3, -3, 0, 1.5f, 7}), (std::vector<float>{1.5f, -6, 0, 0.75f, 7}));
}

TEST(LogitTransforms, RepetitionReadsPromptAndOutput) {
  LogitTransforms transforms;
  Case prompt_only;
  prompt_only.params.repetition_penalty = 4.0f;
  prompt_only.prompt = {1};
  EXPECT_EQ(prompt_only.apply(transforms, {2, 2}), (std::vector<float>{2, 0.5f}));
  Case output_only = prompt_only;
  output_only.prompt = {};
  output_only.output = {0};
  EXPECT_EQ(output_only.apply(transforms, {2, 2}), (std::vector<float>{0.5f, 2}));
}

TEST(LogitTransforms, RepetitionBelowOneEncouragesRepeats) {
  LogitTransforms transforms;
  Case c;
  c.params.repetition_penalty = 0.5f;
  c.output = {0, 1};
  EXPECT_EQ(c.apply(transforms, {2, -2, 2}), (std::vector<float>{4, -1, 2}));
}

TEST(LogitTransforms, LogitBiasIsAddedToListedTokens) {
  LogitTransforms transforms;
  Case c;
  c.params.logit_bias = {{0, 100.0f}, {2, -100.0f}, {3, 0.5f}};
  EXPECT_EQ(c.apply(transforms, {-1, 1, 1, 1}), (std::vector<float>{99, 1, -99, 1.5f}));
}

TEST(LogitTransforms, OrderIsBiasThenRepetitionThenFrequencyThenPresence) {
  LogitTransforms transforms;
  Case c;
  c.params.logit_bias = {{0, 2.0f}, {1, 2.0f}};
  c.params.repetition_penalty = 2.0f;
  c.params.frequency_penalty = 1.0f;
  c.params.presence_penalty = 0.5f;
  c.output = {0, 1};
  // Token 0: (2 + 2) / 2 - 1 - 0.5. Token 1: -1 + 2 = 1 > 0 after the bias, so it is divided,
  // not multiplied: 1 / 2 - 1 - 0.5. (Penalty first would give -2 + 2 - 1.5 for token 1.)
  EXPECT_EQ(c.apply(transforms, {2, -1}), (std::vector<float>{0.5f, -1.0f}));
}

TEST(LogitTransforms, SuppressionComesLastAndIgnoresIdsOutsideTheVocab) {
  LogitTransforms transforms;
  Case c;
  c.params.logit_bias = {{1, 100.0f}};
  c.suppressed = {1, 3, 4, 1000, -1};
  EXPECT_EQ(c.apply(transforms, {0, 0, 0, 0}), (std::vector<float>{0, kNegInf, 0, kNegInf}));
}

TEST(LogitTransforms, BannedTokensStayBannedAndFiniteLogitsStayFinite) {
  LogitTransforms transforms;
  Case c;
  c.params.logit_bias = {{0, 100.0f}};
  c.params.repetition_penalty = 1e-38f;
  c.params.frequency_penalty = -2.0f;
  c.output = {0, 1, 2};
  const std::vector<float> row = c.apply(transforms, {kNegInf, 1000.0f, -1000.0f});
  EXPECT_EQ(row[0], kNegInf);  // a bias and a penalty do not unban a model-banned token
  EXPECT_EQ(row[1], std::numeric_limits<float>::max()) << "overflow must clamp, not give +inf";
  EXPECT_EQ(row[2], 2.0f);  // -1000 * 1e-38 + 2

  Case huge;
  huge.params.repetition_penalty = 1e30f;
  huge.output = {0};
  EXPECT_EQ(huge.apply(transforms, {-1e10f})[0], std::numeric_limits<float>::lowest());
}

TEST(LogitTransforms, CountsDoNotLeakBetweenCalls) {
  LogitTransforms transforms;
  Case first;
  first.params.frequency_penalty = 1.0f;
  first.output = {0, 0, 0, 1};
  EXPECT_EQ(first.apply(transforms, {0, 0, 0}), (std::vector<float>{-3, -1, 0}));
  Case second = first;
  second.output = {1, 2};
  EXPECT_EQ(second.apply(transforms, {0, 0, 0}), (std::vector<float>{0, -1, -1}));
  // Repetition and frequency in one call use separate rounds: the prompt's token 2 is not
  // counted as output.
  Case both;
  both.params.frequency_penalty = 1.0f;
  both.params.repetition_penalty = 2.0f;
  both.prompt = {2, 2};
  both.output = {0};
  EXPECT_EQ(both.apply(transforms, {4, 4, 4}), (std::vector<float>{1, 4, 2}));
}

TEST(LogitTransforms, AdaptsToAChangingVocabSize) {
  LogitTransforms transforms;
  Case c;
  c.params.frequency_penalty = 1.0f;
  c.output = {1, 1};
  EXPECT_EQ(c.apply(transforms, {0, 0}), (std::vector<float>{0, -2}));
  c.output = {4};
  EXPECT_EQ(c.apply(transforms, {0, 0, 0, 0, 0}), (std::vector<float>{0, 0, 0, 0, -1}));
  c.output = {0};
  EXPECT_EQ(c.apply(transforms, {0}), (std::vector<float>{-1}));
}

TEST(LogitTransformsDeathTest, HistoryIdsOutsideTheVocabAreABug) {
  LogitTransforms transforms;
  Case c;
  c.params.presence_penalty = 1.0f;
  c.output = {5};
  EXPECT_DEATH(c.apply(transforms, {0, 0}), "outside the vocabulary");
  Case b;
  b.params.logit_bias = {{2, 1.0f}};
  EXPECT_DEATH(b.apply(transforms, {0, 0}), "logit_bias id 2");
}

}  // namespace
}  // namespace turbine
