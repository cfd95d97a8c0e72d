// Token sampling as a backend op: what a backend that samples on its own device (the CUDA one)
// takes and returns, so that logits never travel to the host.
//
// The runner turns each sampling row's SamplingParams and SamplingContext into one SamplingRow
// plus sparse lists (runner/device_sampling_inputs.h); the backend stages them to its memory,
// samples every row of the logits in place and hands back the chosen ids and logprobs. The
// semantics are runner/sampler.h's; where a device may differ by design (the walk order under
// top-p, rounding at thresholds) is written in backend/cuda/sampling/gpu_sampler.h.
//
// These are plain structs with no device types, shared by the runner and the CUDA kernels (the
// kernels read SamplingRow and SamplingTokenAdjustment from device memory as laid out here).
#pragma once

#include <cstdint>
#include <span>

#include "common/tensor.h"

namespace turbine {

// Most top logprobs a device sampler returns per row (OpenAI's API allows 0..20).
inline constexpr int kMaxDeviceLogprobs = 20;

// One per logits row.
struct SamplingRow {
  float temperature = 1.0f;  // < 1e-5: greedy
  int32_t top_k = 0;         // <= 0 or >= vocab: off
  float top_p = 1.0f;        // (0, 1]; 1: off
  float min_p = 0.0f;        // [0, 1]; 0: off
  double uniform = 0.0;      // in [0, 1), drawn by the host from the request's stream; unused when greedy
  int32_t num_logprobs = 0;  // 0..kMaxDeviceLogprobs top logprobs wanted
  float repetition_penalty = 1.0f;  // 1: off
  float frequency_penalty = 0.0f;   // 0: off
  float presence_penalty = 0.0f;    // 0: off
  int32_t adjust_begin = 0, adjust_end = 0;      // this row's range in the adjustment list
  int32_t suppress_begin = 0, suppress_end = 0;  // this row's range in the suppressed-id list
  // The row of DeviceSamplingBatch::token_bitmask that bans tokens before anything else (a
  // structured-output grammar's mask); -1: none.
  int32_t bitmask_row = -1;
};

// One per DISTINCT token of a row that has a logit_bias entry or occurs in the prompt or the
// output (the penalties' "seen" set and the bias map merged: the transforms of different tokens
// are independent, so one entry per token applies them in the CPU's order). Tokens outside
// [0, vocab) are ignored. Two entries for one token in a row are a caller bug.
struct SamplingTokenAdjustment {
  int32_t token = 0;
  int32_t output_count = 0;  // times generated so far (frequency * count, presence; > 0 also counts as seen)
  int32_t in_prompt = 0;     // nonzero: occurs in the prompt (repetition penalty)
  float bias = 0.0f;         // logit_bias value; 0: none
  float raw_logit = 0.0f;    // scratch the device writes: the token's logit before the transforms
};

// A batch to sample: the logits live in backend memory, everything else in host memory.
struct DeviceSamplingBatch {
  Tensor logits;  // F32 [rows, vocab]; overwritten (the transforms are applied in place)
  std::span<const SamplingRow> rows;                      // one per logits row
  std::span<const SamplingTokenAdjustment> adjustments;   // ranges per row
  std::span<const int32_t> suppressed;                    // ranges per row (EOS/stop ids, bad words)
  // Packed allowed-token masks, bitmask_words words per mask row (backend/token_bitmask.h): a row
  // with bitmask_row >= 0 first sets every logit whose bit is clear to -inf (ids past
  // 32 * bitmask_words too), as the host path does with apply_token_bitmask. Empty: no masks.
  std::span<const uint32_t> token_bitmask;
  int32_t bitmask_words = 0;
};

// Host memory owned by the backend, valid until two more sample_async() calls.
struct DeviceSamplingResult {
  std::span<const int32_t> tokens;   // [rows]; -1 for a row with no finite logit (a model bug)
  std::span<const float> logprobs;   // [rows]: raw log_softmax of the chosen token
  // [rows, kMaxDeviceLogprobs] best first, or empty when no row asked for logprobs; an id of -1
  // ends a row's list early (past min(num_logprobs, vocab)).
  std::span<const int32_t> top_ids;
  std::span<const float> top_logprobs;
};

}  // namespace turbine
