#include "engine/scheduler/scheduler_config.h"

#include "common/error.h"

namespace turbine {

std::string_view scheduling_policy_name(SchedulingPolicy policy) {
  switch (policy) {
    case SchedulingPolicy::kFcfs: return "fcfs";
    case SchedulingPolicy::kPriority: return "priority";
  }
  return "?";
}

void SchedulerConfig::validate() const {
  if (max_num_batched_tokens < 1) fail("max_num_batched_tokens must be at least 1, got {}", max_num_batched_tokens);
  if (max_num_seqs < 1) fail("max_num_seqs must be at least 1, got {}", max_num_seqs);
  if (max_model_len < 2) fail("max_model_len must be at least 2, got {}", max_model_len);
  if (long_prefill_token_threshold < 0)
    fail("long_prefill_token_threshold must be >= 0 (0: off), got {}", long_prefill_token_threshold);
}

}  // namespace turbine
