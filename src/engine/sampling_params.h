// How one request wants its next tokens chosen.
//
// A value type, filled by the server from the OpenAI request, checked once when the request
// enters the engine (validate(vocab_size) where the vocabulary is known, else validate() and
// validate_token_ids() later), then read-only. The sampler (sampler.h) assumes a validated
// value and never throws on one.
//
// Two groups of fields:
//  - logit transforms (logit_bias and the three penalties) change the logits that sampling
//    sees; logit_transforms.h applies them, in the order the sampler's header documents;
//  - the sampling proper (temperature, top-k, top-p, min-p, seed) and logprobs.
// Per-step masking that depends on the request's progress (EOS and stop tokens before
// min_tokens) is not a parameter here: the caller passes it in a SamplingContext.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace turbine {

// Below this temperature sampling is greedy (argmax). vLLM uses the same 1e-5: dividing logits
// by anything smaller overflows float for ordinary logit gaps, and the result is argmax anyway.
inline constexpr float kGreedyTemperatureEpsilon = 1e-5f;

// Most top-logprobs a request may ask for (OpenAI's API allows 0..20).
inline constexpr int kMaxLogprobs = 20;

// OpenAI's ranges: presence and frequency penalties in [-2, 2], logit_bias values in
// [-100, 100] (enough to force or ban a token: softmax weights differ by e^200).
inline constexpr float kMaxAbsOpenAiPenalty = 2.0f;
inline constexpr float kMaxAbsLogitBias = 100.0f;

struct SamplingParams {
  float temperature = 1.0f;  // >= 0; below kGreedyTemperatureEpsilon means greedy
  int top_k = 0;             // 0 or -1: off; k >= 1: the k best tokens and ties with the k-th
  float top_p = 1.0f;        // (0, 1]; 1: off
  float min_p = 0.0f;        // [0, 1]; 0: off
  std::optional<uint64_t> seed;  // set: reproducible stream; unset: seeded from the OS
  int logprobs = 0;          // how many top (token, logprob) pairs to return, 0..kMaxLogprobs

  // OpenAI semantics, over the OUTPUT tokens only (as vLLM): a token generated `count` > 0
  // times so far gets logit -= frequency_penalty * count, then logit -= presence_penalty.
  // In [-2, 2]; 0: off. Positive values discourage repeats, negative ones encourage them.
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  // Hugging Face / vLLM semantics, over the PROMPT and OUTPUT tokens: each token that occurs
  // at least once gets logit > 0 ? logit / p : logit * p (once, whatever its count). > 0;
  // 1: off; > 1 discourages repeats.
  float repetition_penalty = 1.0f;
  // token id -> bias added to its logit, in [-kMaxAbsLogitBias, kMaxAbsLogitBias]. Ids must be
  // in [0, vocab_size): checked by validate(vocab_size) / validate_token_ids().
  std::map<int32_t, float> logit_bias;

  // Throws turbine::Error naming the first out-of-range parameter and its value. Checks
  // everything that does not need the vocabulary (logit_bias ids only for being >= 0).
  void validate() const;
  // validate() plus validate_token_ids(vocab_size): what a caller that knows the model does.
  void validate(int64_t vocab_size) const;
  // Throws turbine::Error if a logit_bias id is outside [0, vocab_size).
  void validate_token_ids(int64_t vocab_size) const;

  bool is_greedy() const { return temperature < kGreedyTemperatureEpsilon; }
  bool top_k_enabled() const { return top_k > 0; }
  bool top_p_enabled() const { return top_p < 1.0f; }
  bool min_p_enabled() const { return min_p > 0.0f; }
  bool presence_or_frequency_enabled() const {
    return presence_penalty != 0.0f || frequency_penalty != 0.0f;
  }
  bool repetition_enabled() const { return repetition_penalty != 1.0f; }
};

}  // namespace turbine
