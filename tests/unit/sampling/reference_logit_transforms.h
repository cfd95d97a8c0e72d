// The logit transforms written the obvious way, for tests: count with a std::map, look up the
// history with a std::set, one step after another in the documented order. Independent of
// runner/logit_transforms.cc on purpose, so that tests compare two implementations.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "runner/logit_transforms.h"

namespace turbine::reference {

inline std::vector<float> reference_transformed_logits(std::vector<float> row,
                                                       const SamplingParams& p,
                                                       const SamplingContext& context) {
  for (const auto& [id, bias] : p.logit_bias) row[size_t(id)] += bias;
  std::set<int32_t> seen(context.prompt_ids.begin(), context.prompt_ids.end());
  seen.insert(context.output_ids.begin(), context.output_ids.end());
  for (const int32_t id : seen) {
    float& l = row[size_t(id)];
    l = l > 0 ? l / p.repetition_penalty : l * p.repetition_penalty;
  }
  std::map<int32_t, int> counts;
  for (const int32_t id : context.output_ids) ++counts[id];
  for (const auto& [id, count] : counts) {
    row[size_t(id)] -= p.frequency_penalty * float(count);
    row[size_t(id)] -= p.presence_penalty;
  }
  for (const int32_t id : context.suppressed_ids) {
    if (id >= 0 && size_t(id) < row.size()) row[size_t(id)] = -std::numeric_limits<float>::infinity();
  }
  return row;
}

// `p` without its logit transforms: what sampling the reference-transformed row needs.
inline SamplingParams without_transforms(SamplingParams p) {
  p.logit_bias.clear();
  p.presence_penalty = 0.0f;
  p.frequency_penalty = 0.0f;
  p.repetition_penalty = 1.0f;
  return p;
}

}  // namespace turbine::reference
