// How one request wants its next tokens chosen.
//
// A value type, filled by the server from the OpenAI request, checked once with validate() when
// the request enters the engine, then read-only. The sampler (sampler.h) assumes a validated
// value and never throws on one.
//
// Penalties, logit_bias, bad words and the like will join this struct later as further logit
// transforms; the sampler's header says where they plug in.
#pragma once

#include <cstdint>
#include <optional>

namespace turbine {

// Below this temperature sampling is greedy (argmax). vLLM uses the same 1e-5: dividing logits
// by anything smaller overflows float for ordinary logit gaps, and the result is argmax anyway.
inline constexpr float kGreedyTemperatureEpsilon = 1e-5f;

// Most top-logprobs a request may ask for (OpenAI's API allows 0..20).
inline constexpr int kMaxLogprobs = 20;

struct SamplingParams {
  float temperature = 1.0f;  // >= 0; below kGreedyTemperatureEpsilon means greedy
  int top_k = 0;             // 0 or -1: off; k >= 1: the k best tokens and ties with the k-th
  float top_p = 1.0f;        // (0, 1]; 1: off
  float min_p = 0.0f;        // [0, 1]; 0: off
  std::optional<uint64_t> seed;  // set: reproducible stream; unset: seeded from the OS
  int logprobs = 0;          // how many top (token, logprob) pairs to return, 0..kMaxLogprobs

  // Throws turbine::Error naming the first out-of-range parameter and its value.
  void validate() const;

  bool is_greedy() const { return temperature < kGreedyTemperatureEpsilon; }
  bool top_k_enabled() const { return top_k > 0; }
  bool top_p_enabled() const { return top_p < 1.0f; }
  bool min_p_enabled() const { return min_p > 0.0f; }
};

}  // namespace turbine
