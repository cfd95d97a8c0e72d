// DeviceSamplingInputs (runner/device_sampling_inputs.h): the rows and lists a device sampler
// reads, and the shortcut the runner takes for rows with nothing per token.
#include <gtest/gtest.h>

#include <vector>

#include "runner/device_sampling_inputs.h"

namespace turbine {
namespace {

void expect_same_row(const SamplingRow& a, const SamplingRow& b) {
  EXPECT_EQ(a.temperature, b.temperature);
  EXPECT_EQ(a.top_k, b.top_k);
  EXPECT_EQ(a.top_p, b.top_p);
  EXPECT_EQ(a.min_p, b.min_p);
  EXPECT_EQ(a.uniform, b.uniform);
  EXPECT_EQ(a.num_logprobs, b.num_logprobs);
  EXPECT_EQ(a.repetition_penalty, b.repetition_penalty);
  EXPECT_EQ(a.frequency_penalty, b.frequency_penalty);
  EXPECT_EQ(a.presence_penalty, b.presence_penalty);
  EXPECT_EQ(a.adjust_begin, b.adjust_begin);
  EXPECT_EQ(a.adjust_end, b.adjust_end);
  EXPECT_EQ(a.suppress_begin, b.suppress_begin);
  EXPECT_EQ(a.suppress_end, b.suppress_end);
}

TEST(DeviceSamplingInputs, APlainRowIsWhatAddRowMakesOfTheSameParameters) {
  SamplingParams plain;
  plain.temperature = 0.7f;
  plain.top_k = 40;
  plain.top_p = 0.9f;
  plain.min_p = 0.05f;
  plain.logprobs = 3;
  ASSERT_FALSE(DeviceSamplingInputs::needs_adjustments(plain));

  // Both after a row that has adjustments and suppressed ids, so the empty ranges sit at the
  // lists' current ends.
  SamplingParams penalised;
  penalised.repetition_penalty = 1.2f;
  penalised.logit_bias = {{5, 2.0f}};
  const std::vector<int32_t> prompt{5, 6, 6}, output{7}, suppressed{2};
  DeviceSamplingInputs general, shortcut;
  for (DeviceSamplingInputs* in : {&general, &shortcut})
    in->add_row(penalised, SamplingContext{prompt, output, suppressed}, 0.5);
  general.add_row(plain, SamplingContext{prompt, output, {}}, 0.25);
  shortcut.add_plain_row(DeviceSamplingInputs::row_of(plain), 0.25);

  ASSERT_EQ(general.rows.size(), 2u);
  ASSERT_EQ(shortcut.rows.size(), 2u);
  expect_same_row(general.rows[1], shortcut.rows[1]);
  EXPECT_EQ(shortcut.rows[1].adjust_begin, int32_t(shortcut.adjustments.size()));
  EXPECT_EQ(shortcut.rows[1].suppress_begin, int32_t(shortcut.suppressed.size()));
  EXPECT_EQ(shortcut.adjustments.size(), 3u);  // tokens 5, 6, 7 of the first row
  EXPECT_EQ(shortcut.suppressed, std::vector<int32_t>{2});
}

TEST(DeviceSamplingInputs, PenaltiesAndLogitBiasNeedAdjustments) {
  SamplingParams p;
  EXPECT_FALSE(DeviceSamplingInputs::needs_adjustments(p));
  p.presence_penalty = 0.5f;
  EXPECT_TRUE(DeviceSamplingInputs::needs_adjustments(p));
  p = {};
  p.frequency_penalty = -0.5f;
  EXPECT_TRUE(DeviceSamplingInputs::needs_adjustments(p));
  p = {};
  p.repetition_penalty = 0.9f;
  EXPECT_TRUE(DeviceSamplingInputs::needs_adjustments(p));
  p = {};
  p.logit_bias[3] = -100.0f;
  EXPECT_TRUE(DeviceSamplingInputs::needs_adjustments(p));
}

}  // namespace
}  // namespace turbine
