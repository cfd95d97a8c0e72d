// Host-side staging of a batch's device sampling inputs (backend/device_sampling.h) from the
// runner's SamplingParams + SamplingContext: one SamplingRow per row, the merged per-token
// adjustment list (logit_bias + the tokens the penalties look at) and the suppressed ids.
// Header-only; the runner hands the three vectors to Backend::sample (the CUDA kernel tests and
// benchmarks stage them to device memory themselves).
//
// Cost per row: O(n log n) in the number of prompt + output tokens the active penalties read
// (a sort to merge duplicates). An engine that keeps per-request counts can build the same
// entries incrementally instead.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "backend/device_sampling.h"
#include "runner/logit_transforms.h"
#include "engine/sampling_params.h"

namespace turbine {

struct DeviceSamplingInputs {
  std::vector<SamplingRow> rows;
  std::vector<SamplingTokenAdjustment> adjustments;
  std::vector<int32_t> suppressed;

  void clear() {
    rows.clear();
    adjustments.clear();
    suppressed.clear();
  }

  // The row's constant part (the draw and the list ranges left at 0).
  static SamplingRow row_of(const SamplingParams& params) {
    SamplingRow r;
    r.temperature = params.temperature;
    r.top_k = params.top_k;
    r.top_p = params.top_p;
    r.min_p = params.min_p;
    r.num_logprobs = params.logprobs;
    r.repetition_penalty = params.repetition_penalty;
    r.frequency_penalty = params.frequency_penalty;
    r.presence_penalty = params.presence_penalty;
    return r;
  }

  // Whether a row of these parameters has per-token adjustments (penalties or logit_bias).
  static bool needs_adjustments(const SamplingParams& params) {
    return params.repetition_enabled() || params.presence_or_frequency_enabled() || !params.logit_bias.empty();
  }

  // Appends a row with no adjustments and nothing suppressed (needs_adjustments() is false and
  // the context suppresses nothing): `row` is row_of(params), kept by the caller.
  void add_plain_row(const SamplingRow& row, double uniform) {
    SamplingRow& r = rows.emplace_back(row);
    r.uniform = uniform;
    r.adjust_begin = r.adjust_end = int32_t(adjustments.size());
    r.suppress_begin = r.suppress_end = int32_t(suppressed.size());
  }

  // Appends one row. `uniform` is the row's draw in [0, 1) (the request's rng.next_double());
  // ignored by greedy rows, which draw nothing.
  void add_row(const SamplingParams& params, const SamplingContext& context, double uniform) {
    SamplingRow r = row_of(params);
    r.uniform = uniform;

    // (token, in prompt, output count, bias) for every occurrence the active transforms read,
    // then merged per token. Occurrences the CPU would not read are left out (no entry, no work).
    occurrences_.clear();
    const bool repetition = params.repetition_enabled();
    const bool freq_presence = params.presence_or_frequency_enabled();
    if (repetition) {
      for (const int32_t id : context.prompt_ids) occurrences_.push_back({id, 1, 0, 0.0f, false});
    }
    if (repetition || freq_presence) {
      for (const int32_t id : context.output_ids) occurrences_.push_back({id, 0, 1, 0.0f, false});
    }
    for (const auto& [id, bias] : params.logit_bias) occurrences_.push_back({id, 0, 0, bias, true});
    std::sort(occurrences_.begin(), occurrences_.end(),
              [](const Occurrence& a, const Occurrence& b) { return a.token < b.token; });

    r.adjust_begin = int32_t(adjustments.size());
    for (size_t i = 0; i < occurrences_.size();) {
      SamplingTokenAdjustment e;
      e.token = occurrences_[i].token;
      for (; i < occurrences_.size() && occurrences_[i].token == e.token; ++i) {
        e.in_prompt |= occurrences_[i].in_prompt;
        e.output_count += occurrences_[i].output_count;
        if (occurrences_[i].has_bias) e.bias = occurrences_[i].bias;
      }
      adjustments.push_back(e);
    }
    r.adjust_end = int32_t(adjustments.size());

    r.suppress_begin = int32_t(suppressed.size());
    suppressed.insert(suppressed.end(), context.suppressed_ids.begin(), context.suppressed_ids.end());
    r.suppress_end = int32_t(suppressed.size());
    rows.push_back(r);
  }

 private:
  struct Occurrence {
    int32_t token;
    int32_t in_prompt;
    int32_t output_count;
    float bias;
    bool has_bias;
  };
  std::vector<Occurrence> occurrences_;  // reused across add_row calls
};

}  // namespace turbine
