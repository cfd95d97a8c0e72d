#include "engine/sampling_params.h"

#include <cmath>

#include "common/error.h"

namespace turbine {

void SamplingParams::validate() const {
  // Written as !(x in range) so that NaN fails every check.
  if (!(temperature >= 0.0f) || std::isinf(temperature)) {
    fail("temperature must be a finite number >= 0, got {}", temperature);
  }
  if (top_k < -1) {
    fail("top_k must be -1 or 0 (off) or a positive number of tokens, got {}", top_k);
  }
  if (!(top_p > 0.0f && top_p <= 1.0f)) {
    fail("top_p must be in (0, 1], got {}", top_p);
  }
  if (!(min_p >= 0.0f && min_p <= 1.0f)) {
    fail("min_p must be in [0, 1], got {}", min_p);
  }
  if (logprobs < 0 || logprobs > kMaxLogprobs) {
    fail("logprobs must be in [0, {}], got {}", kMaxLogprobs, logprobs);
  }
  if (!(std::fabs(presence_penalty) <= kMaxAbsOpenAiPenalty)) {
    fail("presence_penalty must be in [-{0}, {0}], got {1}", kMaxAbsOpenAiPenalty,
         presence_penalty);
  }
  if (!(std::fabs(frequency_penalty) <= kMaxAbsOpenAiPenalty)) {
    fail("frequency_penalty must be in [-{0}, {0}], got {1}", kMaxAbsOpenAiPenalty,
         frequency_penalty);
  }
  if (!(repetition_penalty > 0.0f) || std::isinf(repetition_penalty)) {
    fail("repetition_penalty must be a finite number > 0 (1 is off), got {}",
         repetition_penalty);
  }
  for (const auto& [id, bias] : logit_bias) {
    if (id < 0) fail("logit_bias token id {} is negative", id);
    if (!(std::fabs(bias) <= kMaxAbsLogitBias)) {
      fail("logit_bias for token {0} must be in [-{2}, {2}], got {1}", id, bias, kMaxAbsLogitBias);
    }
  }
}

void SamplingParams::validate(int64_t vocab_size) const {
  validate();
  validate_token_ids(vocab_size);
}

void SamplingParams::validate_token_ids(int64_t vocab_size) const {
  // The map is sorted, so its last id is the largest.
  if (!logit_bias.empty() && logit_bias.rbegin()->first >= vocab_size) {
    fail("logit_bias token id {} is outside the vocabulary [0, {})", logit_bias.rbegin()->first,
         vocab_size);
  }
}

}  // namespace turbine
