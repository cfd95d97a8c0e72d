#include "engine/sampling_params.h"

#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <string>

#include "common/error.h"

namespace turbine {
namespace {

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Expects validate() (validate(vocab_size) when given) to throw turbine::Error whose message
// names `parameter`.
void expect_rejected(const SamplingParams& params, const std::string& parameter,
                     std::optional<int64_t> vocab_size = std::nullopt) {
  try {
    if (vocab_size) {
      params.validate(*vocab_size);
    } else {
      params.validate();
    }
    ADD_FAILURE() << "expected " << parameter << " to be rejected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(parameter), std::string::npos) << e.what();
  }
}

TEST(SamplingParams, DefaultsAreValidAndRandom) {
  SamplingParams params;
  EXPECT_NO_THROW(params.validate());
  EXPECT_FALSE(params.is_greedy());
  EXPECT_FALSE(params.top_k_enabled());
  EXPECT_FALSE(params.top_p_enabled());
  EXPECT_FALSE(params.min_p_enabled());
  EXPECT_FALSE(params.presence_or_frequency_enabled());
  EXPECT_FALSE(params.repetition_enabled());
  EXPECT_TRUE(params.logit_bias.empty());
  EXPECT_NO_THROW(params.validate(1));
}

TEST(SamplingParams, AcceptsEdgesOfEachRange) {
  for (float t : {0.0f, 1e-6f, 2.0f, 100.0f}) {
    SamplingParams p;
    p.temperature = t;
    EXPECT_NO_THROW(p.validate()) << t;
  }
  for (int k : {-1, 0, 1, 150000}) {
    SamplingParams p;
    p.top_k = k;
    EXPECT_NO_THROW(p.validate()) << k;
  }
  for (float top_p : {1e-6f, 0.5f, 1.0f}) {
    SamplingParams p;
    p.top_p = top_p;
    EXPECT_NO_THROW(p.validate()) << top_p;
  }
  for (float min_p : {0.0f, 0.5f, 1.0f}) {
    SamplingParams p;
    p.min_p = min_p;
    EXPECT_NO_THROW(p.validate()) << min_p;
  }
  for (int n : {0, 1, kMaxLogprobs}) {
    SamplingParams p;
    p.logprobs = n;
    EXPECT_NO_THROW(p.validate()) << n;
  }
}

TEST(SamplingParams, RejectsOutOfRangeValuesNamingTheParameter) {
  for (float t : {-0.1f, -kInf, kInf, kNan}) {
    SamplingParams p;
    p.temperature = t;
    expect_rejected(p, "temperature");
  }
  for (int k : {-2, -100}) {
    SamplingParams p;
    p.top_k = k;
    expect_rejected(p, "top_k");
  }
  for (float top_p : {0.0f, -0.5f, 1.0001f, kNan}) {
    SamplingParams p;
    p.top_p = top_p;
    expect_rejected(p, "top_p");
  }
  for (float min_p : {-0.01f, 1.01f, kNan}) {
    SamplingParams p;
    p.min_p = min_p;
    expect_rejected(p, "min_p");
  }
  for (int n : {-1, kMaxLogprobs + 1}) {
    SamplingParams p;
    p.logprobs = n;
    expect_rejected(p, "logprobs");
  }
}

TEST(SamplingParams, AcceptsEdgesOfThePenaltyAndBiasRanges) {
  for (float v : {-2.0f, -0.5f, 0.0f, 2.0f}) {
    SamplingParams p;
    p.presence_penalty = v;
    p.frequency_penalty = -v;
    EXPECT_NO_THROW(p.validate()) << v;
  }
  for (float r : {1e-3f, 0.5f, 1.0f, 1.2f, 10.0f}) {
    SamplingParams p;
    p.repetition_penalty = r;
    EXPECT_NO_THROW(p.validate()) << r;
  }
  SamplingParams p;
  p.logit_bias = {{0, -100.0f}, {5, 0.0f}, {31999, 100.0f}};
  EXPECT_NO_THROW(p.validate());
  EXPECT_NO_THROW(p.validate(32000));
}

TEST(SamplingParams, RejectsOutOfRangePenaltiesNamingTheParameter) {
  for (float v : {-2.01f, 2.01f, kInf, -kInf, kNan}) {
    SamplingParams p;
    p.presence_penalty = v;
    expect_rejected(p, "presence_penalty");
    SamplingParams f;
    f.frequency_penalty = v;
    expect_rejected(f, "frequency_penalty");
  }
  for (float r : {0.0f, -1.0f, kInf, kNan}) {
    SamplingParams p;
    p.repetition_penalty = r;
    expect_rejected(p, "repetition_penalty");
  }
}

TEST(SamplingParams, RejectsBadLogitBiasNamingTheParameterAndToken) {
  for (float bias : {100.5f, -101.0f, kInf, kNan}) {
    SamplingParams p;
    p.logit_bias = {{42, bias}};
    expect_rejected(p, "logit_bias for token 42");
  }
  SamplingParams negative;
  negative.logit_bias = {{-3, 1.0f}};
  expect_rejected(negative, "logit_bias token id -3");

  // Ids are checked against the vocabulary only where it is known.
  SamplingParams outside;
  outside.logit_bias = {{7, 1.0f}, {32000, 1.0f}};
  EXPECT_NO_THROW(outside.validate());
  expect_rejected(outside, "logit_bias token id 32000", 32000);
  EXPECT_THROW(outside.validate_token_ids(32000), Error);
  EXPECT_NO_THROW(outside.validate_token_ids(32001));
}

TEST(SamplingParams, GreedyBelowEpsilon) {
  SamplingParams p;
  p.temperature = 0.0f;
  EXPECT_TRUE(p.is_greedy());
  p.temperature = kGreedyTemperatureEpsilon * 0.9f;
  EXPECT_TRUE(p.is_greedy());
  p.temperature = kGreedyTemperatureEpsilon;
  EXPECT_FALSE(p.is_greedy());
}

TEST(SamplingParams, FilterSwitches) {
  SamplingParams p;
  p.top_k = -1;
  EXPECT_FALSE(p.top_k_enabled());
  p.top_k = 1;
  EXPECT_TRUE(p.top_k_enabled());
  p.top_p = 0.999f;
  EXPECT_TRUE(p.top_p_enabled());
  p.min_p = 1e-4f;
  EXPECT_TRUE(p.min_p_enabled());
  p.frequency_penalty = -0.1f;
  EXPECT_TRUE(p.presence_or_frequency_enabled());
  p.frequency_penalty = 0.0f;
  p.presence_penalty = 0.1f;
  EXPECT_TRUE(p.presence_or_frequency_enabled());
  p.repetition_penalty = 0.9f;
  EXPECT_TRUE(p.repetition_enabled());
}

}  // namespace
}  // namespace turbine
