// SchedulerConfig: the knobs of the token-budget scheduler (Scheduler in scheduler.h).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace turbine {

enum class SchedulingPolicy {
  kFcfs,      // arrival order
  kPriority,  // lower RequestParams::priority first, then arrival order
};

std::string_view scheduling_policy_name(SchedulingPolicy policy);

struct SchedulerConfig {
  int max_num_batched_tokens = 2048;  // token budget of one step, across all sequences
  int max_num_seqs = 128;             // sequences running at once (one batch row each)
  int max_model_len = 4096;           // context length: prompt + output tokens of a sequence
  // Most tokens one sequence may take in one step (0: no cap beyond the budget), so one long
  // prompt cannot hold back the prefills of others.
  int long_prefill_token_threshold = 0;
  SchedulingPolicy policy = SchedulingPolicy::kFcfs;
  std::vector<int32_t> eos_token_ids;  // from the model; finish with "stop" unless ignore_eos

  // Throws turbine::Error naming the first bad value.
  void validate() const;
};

}  // namespace turbine
