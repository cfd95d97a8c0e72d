// Logit transforms: the edits a request makes to its logits before sampling.
//
// In the order they are applied (vLLM's order; the sampler's header says where this sits):
//  1. logit_bias           logit += bias, for each listed token;
//  2. repetition_penalty   each token seen in the prompt or the output, once:
//                          logit > 0 ? logit / p : logit * p;
//  3. frequency_penalty    each token seen in the output, count times: logit -= f * count;
//  4. presence_penalty     each token seen in the output: logit -= p;
//  5. suppression          each id in SamplingContext::suppressed_ids: logit = -inf.
// A logit that was finite stays finite through 1-4 (an overflow is clamped to +-FLT_MAX), so
// only step 5 can ban a token, and -inf logits from the model stay -inf. The bias goes before
// the penalties, so a biased token's repetition penalty scales its bias too, as in vLLM.
//
// Cost per call: O(|logit_bias| + |prompt| + |output| + |suppressed|); nothing is O(V) except
// the first call for a vocabulary size (sizing the per-token scratch) and, every 2^32 rounds,
// re-zeroing it. Occurrences are counted in a per-token array whose entries are valid only when
// stamped with the current round, so no array is cleared per call and no hashing is done.
//
// One LogitTransforms belongs to one Sampler (one thread); it keeps only scratch between calls.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/sampling_params.h"

namespace turbine {

// What the transforms need to know about the request's progress at this step. Spans are read
// only during the call. Prompt and output ids must be in [0, vocab size) (the engine checks
// prompts; outputs come from the sampler). Suppressed ids outside the vocabulary are ignored:
// such a token can never be sampled anyway (stop_token_ids are not checked against the vocab).
struct SamplingContext {
  std::span<const int32_t> prompt_ids;      // read by repetition_penalty
  std::span<const int32_t> output_ids;      // read by every penalty
  std::span<const int32_t> suppressed_ids;  // set to -inf for this step (EOS before min_tokens, bad words)
};

class LogitTransforms {
 public:
  // Whether apply() could change the row: when not, the sampler reads the raw logits in place.
  static bool any_active(const SamplingParams& params, const SamplingContext& context);

  // Applies steps 1-5 to `row` in place. `params` must have passed validate(row.size()).
  void apply(std::span<float> row, const SamplingParams& params, const SamplingContext& context);

 private:
  struct TokenMark {
    uint32_t round = 0;  // the entry is meaningful only when equal to round_
    int32_t count = 0;
  };

  // Starts a new counting round over a vocabulary of `vocab_size` tokens.
  void start_round(size_t vocab_size);
  // Marks `id` in this round; true the first time.
  bool mark(int32_t id, size_t vocab_size);

  void apply_repetition_penalty(std::span<float> row, float penalty,
                                const SamplingContext& context);
  void apply_presence_and_frequency(std::span<float> row, const SamplingParams& params,
                                    std::span<const int32_t> output_ids);

  std::vector<TokenMark> marks_;  // indexed by token id
  uint32_t round_ = 0;
  std::vector<int32_t> distinct_;  // this round's marked ids, in first-seen order
};

}  // namespace turbine
