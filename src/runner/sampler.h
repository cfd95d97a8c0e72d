// Picks the next token of one sequence from its logits.
//
// Input: one row of float logits [vocab_size] as the model produced it. Contract on the row:
// no NaN and no +inf; -inf is allowed (a banned token) as long as one logit is finite, and one
// finite logit must also survive suppression (below).
//
// What a call does, in order:
//  1. Logprobs, always from the RAW logits: log_softmax before any transform, temperature or
//     filter. They describe the model's own distribution, which is what OpenAI reports and what
//     vLLM returns by default (its logprobs_mode "raw_logprobs"). SampleResult::logprob is the
//     chosen token's, and top_logprobs the params.logprobs best tokens, best first, ties to the
//     lower id. So a token forced by logit_bias can come back with a low logprob: that is the
//     model's opinion of it, not the sampler's.
//  2. Logit transforms (logit_transforms.h), on a working copy of the row so that greedy and
//     random sampling both see them while step 1 stays raw: logit_bias, then the repetition,
//     frequency and presence penalties, then suppression of SamplingContext::suppressed_ids
//     (EOS and stop tokens before min_tokens, tokens that bad words ban) to -inf. With none
//     active (the common case) no copy is made and the raw row is read in place.
//  3. Greedy (temperature < kGreedyTemperatureEpsilon): argmax, ties to the lowest id like
//     torch.argmax. O(V); draws nothing from the generator.
//  4. Otherwise, in Hugging Face's logits-processor order:
//       temperature  w_i = exp((l_i - max) / T), the unnormalised probabilities;
//       top-k        keep tokens whose logit >= the k-th largest logit (so ties with the k-th
//                    all stay, as in HF and vLLM);
//       top-p        sort the survivors by (w desc, id asc) and keep the shortest prefix whose
//                    mass reaches top_p of the survivors' total (HF: drop tokens while the
//                    ascending cumulative mass is <= 1 - top_p); at least one token stays;
//       min-p        keep tokens with w_i >= min_p * w_max (w_max = 1 by construction).
//     Temperature goes first so that top-p and min-p judge the distribution that is actually
//     sampled; top-k before top-p so the nucleus is measured inside the top k (HF and vLLM
//     agree). min-p's threshold depends only on the maximum, which every filter keeps, so
//     min-p commutes with top-k, and putting it last keeps top-p's mass measured over the
//     top-k set exactly as HF does. Then one uniform double u from the generator picks the
//     token whose cumulative weight first exceeds u * total (inverse CDF; exactly one
//     next_double() per call), walking the survivors best first when top-p sorted them and
//     in id order otherwise. That walk order is part of what a seed reproduces.
//
// Suppressing every token that has a finite logit is a caller bug (RequestParams::validate keeps
// what one step may suppress under half the vocabulary) and fails a TURBINE_CHECK.
//
// Cost: O(V) for every call (max, log-sum-exp, weights); top-k adds an O(V) selection. Top-p
// first drops every token too light to ever be in the nucleus (one O(V) pass, exact), then
// sorts only a growing prefix of the rest (64, 512, 4096, ... at a time), so a peaked
// distribution costs O(V) and only a flat one pays O(V log V). Active transforms add one O(V)
// copy and one O(V) argmax, plus work proportional to the tokens they touch.
//
// A Sampler owns scratch buffers so that, after warm-up, a call allocates only the returned
// top_logprobs. It is used by one thread at a time (the runner's) and keeps no state between
// calls besides that scratch.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "runner/logit_transforms.h"
#include "runner/random_generator.h"
#include "engine/sampling_params.h"

namespace turbine {

// log_softmax helpers over a raw row, exposed for the logprob paths and their tests.
struct LogSoftmaxStats {
  float max_logit;
  double log_sum_exp;  // log(sum_i exp(l_i - max_logit))
  float logprob(float logit) const { return float(double(logit - max_logit) - log_sum_exp); }
};
LogSoftmaxStats log_softmax_stats(std::span<const float> logits);
// The n highest logits as (id, logprob), best first, ties to the lower id; n <= vocab size.
std::vector<std::pair<int32_t, float>> top_logprobs(std::span<const float> logits,
                                                    const LogSoftmaxStats& stats, int n);
// First index of the maximum (torch.argmax's tie rule).
int32_t argmax(std::span<const float> logits);

struct SampleResult {
  int32_t token = -1;
  float logprob = 0.0f;  // log_softmax(raw logits)[token]
  std::vector<std::pair<int32_t, float>> top_logprobs;  // params.logprobs entries, best first
};

class Sampler {
 public:
  // `params` must have passed validate(logits.size()). Draws from `rng` only when not greedy.
  SampleResult sample(std::span<const float> logits, const SamplingParams& params,
                      const SamplingContext& context, RandomGenerator& rng);
  // The same with the uniform draw given (in [0, 1), unused when greedy): what a device sampler
  // gets per row (SamplingRow::uniform).
  SampleResult sample(std::span<const float> logits, const SamplingParams& params,
                      const SamplingContext& context, double uniform);
  // No prompt, no output, nothing suppressed: only logit_bias applies among the transforms.
  SampleResult sample(std::span<const float> logits, const SamplingParams& params,
                      RandomGenerator& rng) {
    return sample(logits, params, SamplingContext{}, rng);
  }

  // The distribution sample() draws from: (token, probability) for every token it can return,
  // sorted by probability descending, ties to the lower id. Greedy gives {argmax, 1}. For
  // tests, debugging and later speculative-decoding checks; not on the hot path.
  std::vector<std::pair<int32_t, double>> candidate_distribution(
      std::span<const float> logits, const SamplingParams& params,
      const SamplingContext& context = {});

 private:
  // The row steps 3-4 read and its maximum: `logits` itself, or the transformed copy.
  struct SamplingRow {
    std::span<const float> logits;
    float max_logit;
  };
  SamplingRow sampling_row(std::span<const float> logits, const LogSoftmaxStats& raw_stats,
                           const SamplingParams& params, const SamplingContext& context);

  struct Candidate {
    int32_t id;
    float weight;  // unnormalised probability after temperature
  };

  // Fills candidates_ with the tokens that survive the filters of step 4 and returns their
  // total weight. If the survivors are sorted best first, sets candidates_sorted_.
  double filter_candidates(std::span<const float> logits, float max_logit,
                           const SamplingParams& params);
  // Logit of the k-th largest token (k < vocab size).
  float kth_largest_logit(std::span<const float> logits, int k);
  // Moves the top-p prefix to the front of candidates_ (sorted) and returns its length.
  size_t top_p_prefix(double target_mass);

  std::vector<Candidate> candidates_;
  bool candidates_sorted_ = false;
  std::vector<float> weights_;  // per token, after temperature and top-k
  std::vector<float> scratch_logits_;
  std::vector<float> transformed_logits_;  // step 2's working copy
  LogitTransforms transforms_;
};

}  // namespace turbine
