#include "runner/sampling_params.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "common/error.h"

namespace turbine {
namespace {

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Expects validate() to throw turbine::Error whose message names `parameter`.
void expect_rejected(const SamplingParams& params, const std::string& parameter) {
  try {
    params.validate();
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
}

}  // namespace
}  // namespace turbine
