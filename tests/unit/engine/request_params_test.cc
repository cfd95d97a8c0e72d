// RequestParams::validate(vocab_size): the one validation of a request's parameters (LlmEngine::submit).
#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "engine/request.h"

namespace turbine {
namespace {

constexpr int64_t kVocab = 100;

// Expects validate(kVocab) to throw turbine::Error whose message contains `fragment`.
void expect_rejected(const RequestParams& params, const std::string& fragment) {
  try {
    params.validate(kVocab);
    ADD_FAILURE() << "expected a rejection naming " << fragment;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(RequestParams, DefaultsAreValid) { EXPECT_NO_THROW(RequestParams{}.validate(kVocab)); }

TEST(RequestParams, EngineFieldsAreChecked) {
  expect_rejected(RequestParams{.max_tokens = 0}, "max_tokens");
  expect_rejected(RequestParams{.max_tokens = 2, .min_tokens = 3}, "min_tokens");
  expect_rejected(RequestParams{.min_tokens = -1}, "min_tokens");
  expect_rejected(RequestParams{.n = 0}, "n must be");
  expect_rejected(RequestParams{.prompt_logprobs = kMaxLogprobs + 1}, "prompt_logprobs");
  expect_rejected(RequestParams{.stop_token_ids = {5, -1}}, "stop token id -1");
  expect_rejected(RequestParams{.stop_token_ids = {kVocab}}, "outside the vocabulary");
  const RequestParams in_range{.stop_token_ids = {0, kVocab - 1}};
  EXPECT_NO_THROW(in_range.validate(kVocab));
}

TEST(RequestParams, SamplingIsCheckedWithTheVocabulary) {
  RequestParams p;
  p.sampling.temperature = -1.0f;
  expect_rejected(p, "temperature");
  p = RequestParams{};
  p.sampling.logit_bias[kVocab] = 1.0f;  // an id the model does not have
  expect_rejected(p, "logit_bias");
  p.sampling.logit_bias = {{kVocab - 1, 1.0f}};
  EXPECT_NO_THROW(p.validate(kVocab));
}

}  // namespace
}  // namespace turbine
