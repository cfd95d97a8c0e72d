// RequestParams::validate(vocab_size): the one validation of a request's parameters (LlmEngine::submit).
// GCC 12 warns, wrongly, that the designated initializers below leave the std::map inside
// SamplingParams uninitialized (a false positive of -Wmaybe-uninitialized on large aggregates).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
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

TEST(RequestParams, BadWordsAreNonEmptyAndInTheVocabulary) {
  expect_rejected(RequestParams{.bad_words_token_ids = {{3}, {}}}, "bad word 1 has no tokens");
  expect_rejected(RequestParams{.bad_words_token_ids = {{3, kVocab}}}, "outside the vocabulary");
  expect_rejected(RequestParams{.bad_words_token_ids = {{-1}}}, "token id -1");
  EXPECT_NO_THROW((RequestParams{.bad_words_token_ids = {{3}, {4, 5, kVocab - 1}}}.validate(kVocab)));
  RequestParams constrained{.bad_words_token_ids = {{3}}};
  constrained.structured = structured::ConstraintSpec{structured::ConstraintKind::kRegex, "a+"};
  expect_rejected(constrained, "structured-output constraint");
}

TEST(RequestParams, AllowedTokensAreInTheVocabularyAndAlone) {
  RequestParams p;
  p.allowed_token_ids = {0, 5, kVocab - 1};
  EXPECT_NO_THROW(p.validate(kVocab));
  p.allowed_token_ids = {3, kVocab};
  expect_rejected(p, "allowed token id 100 (at index 1) is outside the vocabulary");
  p.allowed_token_ids = {-2};
  expect_rejected(p, "allowed token id -2");
  p.allowed_token_ids = {3};
  p.bad_words_token_ids = {{4}};
  expect_rejected(p, "cannot be combined with bad words");
  p.bad_words_token_ids.clear();
  p.structured = structured::ConstraintSpec{structured::ConstraintKind::kRegex, "a+"};
  expect_rejected(p, "cannot be combined with a structured-output constraint");
}

TEST(RequestParams, AStepMustKeepHalfTheVocabularySamplable) {
  // Bad words ban their last tokens; before min_tokens, stop tokens are banned too.
  RequestParams p;
  for (int32_t id = 0; id < kVocab / 2; ++id) p.bad_words_token_ids.push_back({7, id});
  EXPECT_NO_THROW(p.validate(kVocab));
  p.bad_words_token_ids.push_back({kVocab - 1});
  expect_rejected(p, "at most half the vocabulary");
  p.bad_words_token_ids.pop_back();
  p.stop_token_ids = {kVocab - 1};
  EXPECT_NO_THROW(p.validate(kVocab));  // stop tokens are banned only before min_tokens
  p.min_tokens = 1;
  expect_rejected(p, "stop tokens");
  p.bad_words_token_ids.clear();
  p.stop_token_ids.clear();
  for (int32_t id = 0; id < kVocab; ++id) p.stop_token_ids.push_back(id);
  expect_rejected(p, "at most half the vocabulary");
}

TEST(RequestParams, WhatReadsTheOutput) {
  EXPECT_FALSE(RequestParams{}.reads_output_tokens());
  EXPECT_TRUE(RequestParams{.bad_words_token_ids = {{3}}}.reads_output_tokens());
  RequestParams penalised;
  penalised.sampling.frequency_penalty = 0.5f;
  EXPECT_TRUE(penalised.reads_output_tokens());
  RequestParams biased;
  biased.sampling.logit_bias[3] = 1.0f;  // per token, not per output: nothing to read
  EXPECT_FALSE(biased.reads_output_tokens());
}

}  // namespace
}  // namespace turbine
