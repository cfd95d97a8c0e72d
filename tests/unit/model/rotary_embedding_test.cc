#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "model/rotary_embedding.h"

namespace turbine {
namespace {

constexpr int kHeadDim = 16;

TEST(RotaryEmbedding, DefaultFrequencies) {
  RopeConfig rope;
  rope.theta = 10000.0;
  const auto inv = RotaryEmbedding(rope, kHeadDim, 128).inverse_frequencies(1);
  ASSERT_EQ(inv.size(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(inv[i], 1.0 / std::pow(10000.0, 2.0 * i / kHeadDim), 1e-7);
}

TEST(RotaryEmbedding, LinearDividesEveryFrequency) {
  RopeConfig rope;
  const auto base = RotaryEmbedding(rope, kHeadDim, 128).inverse_frequencies(1);
  rope.type = RopeType::kLinear;
  rope.factor = 4.0;
  const auto scaled = RotaryEmbedding(rope, kHeadDim, 128).inverse_frequencies(1);
  for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(scaled[i], base[i] / 4.0f);
}

TEST(RotaryEmbedding, Llama3KeepsHighAndScalesLowFrequencies) {
  RopeConfig rope;
  rope.theta = 500000.0;
  const auto base = RotaryEmbedding(rope, kHeadDim, 1024).inverse_frequencies(1);
  rope.type = RopeType::kLlama3;
  rope.factor = 8.0;
  rope.low_freq_factor = 1.0;
  rope.high_freq_factor = 4.0;
  rope.original_max_position_embeddings = 64;
  const auto scaled = RotaryEmbedding(rope, kHeadDim, 1024).inverse_frequencies(1);
  int kept = 0, divided = 0, smoothed = 0;
  for (int i = 0; i < 8; ++i) {
    const double wavelen = 2 * std::numbers::pi / base[i];
    if (wavelen < 64.0 / 4.0) {
      EXPECT_FLOAT_EQ(scaled[i], base[i]);
      ++kept;
    } else if (wavelen > 64.0) {
      EXPECT_FLOAT_EQ(scaled[i], base[i] / 8.0f);
      ++divided;
    } else {
      EXPECT_LT(scaled[i], base[i]);
      EXPECT_GT(scaled[i], base[i] / 8.0f);
      ++smoothed;
    }
  }
  EXPECT_GT(kept, 0);
  EXPECT_GT(divided, 0);
}

TEST(RotaryEmbedding, DynamicStretchesOnlyPastTheContext) {
  RopeConfig rope;
  const auto base = RotaryEmbedding(rope, kHeadDim, 32).inverse_frequencies(1);
  rope.type = RopeType::kDynamic;
  rope.factor = 2.0;
  RotaryEmbedding dynamic(rope, kHeadDim, 32);
  EXPECT_EQ(dynamic.inverse_frequencies(32), base);
  const auto stretched = dynamic.inverse_frequencies(48);
  const double new_base = 10000.0 * std::pow(2.0 * 48 / 32 - 1.0, 16.0 / 14.0);
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(stretched[i], 1.0 / std::pow(new_base, 2.0 * i / kHeadDim), 1e-7);

  // fill() picks the stretched table only for tokens whose step passes the context.
  std::vector<float> rows(2 * kHeadDim);
  const int32_t positions[2] = {5, 5};
  const int32_t step_lens[2] = {20, 48};
  dynamic.fill(positions, step_lens, 2, rows.data());
  EXPECT_NEAR(rows[1], std::cos(5.0f * base[1]), 1e-6);
  EXPECT_NEAR(rows[kHeadDim + 1], std::cos(5.0f * stretched[1]), 1e-6);
}

TEST(RotaryEmbedding, YarnScalesCosAndSin) {
  RopeConfig rope;
  rope.type = RopeType::kYarn;
  rope.factor = 4.0;
  rope.original_max_position_embeddings = 32;
  RotaryEmbedding yarn(rope, kHeadDim, 128);
  std::vector<float> row(kHeadDim);
  const int32_t pos = 0, len = 1;
  yarn.fill(&pos, &len, 1, row.data());
  const float attention_factor = float(0.1 * std::log(4.0) + 1.0);
  EXPECT_NEAR(row[0], attention_factor, 1e-6);       // cos(0) scaled
  EXPECT_NEAR(row[kHeadDim / 2], 0.0f, 1e-7);        // sin(0)
  const auto inv = yarn.inverse_frequencies(1);
  RopeConfig plain;
  const auto base = RotaryEmbedding(plain, kHeadDim, 128).inverse_frequencies(1);
  EXPECT_FLOAT_EQ(inv[0], base[0]);                  // fastest frequency extrapolated
  EXPECT_NEAR(inv[7], base[7] / 4.0f, 1e-9);         // slowest interpolated
}

TEST(RotaryEmbedding, FillMatchesCosSinOfPositionTimesFrequency) {
  RopeConfig rope;
  RotaryEmbedding r(rope, kHeadDim, 128);
  const auto inv = r.inverse_frequencies(1);
  std::vector<float> rows(3 * kHeadDim);
  const int32_t positions[3] = {0, 7, 100};
  const int32_t lens[3] = {101, 101, 101};
  r.fill(positions, lens, 3, rows.data());
  for (int t = 0; t < 3; ++t)
    for (int i = 0; i < 8; ++i) {
      EXPECT_NEAR(rows[t * kHeadDim + i], std::cos(positions[t] * inv[i]), 1e-6);
      EXPECT_NEAR(rows[t * kHeadDim + 8 + i], std::sin(positions[t] * inv[i]), 1e-6);
    }
}

}  // namespace
}  // namespace turbine
