#include "engine/scheduler/scheduling_rules.h"

#include <algorithm>
#include <tuple>

#include "common/error.h"

namespace turbine {

bool served_before(const Request& a, const Request& b, SchedulingPolicy policy) {
  const auto arrival = [](const Request& r) { return std::tuple(r.arrival_seq, r.sample_index, r.seq_id); };
  switch (policy) {
    case SchedulingPolicy::kFcfs: return arrival(a) < arrival(b);
    case SchedulingPolicy::kPriority:
      return std::tuple(a.params.priority, arrival(a)) < std::tuple(b.params.priority, arrival(b));
  }
  return false;
}

Request* select_preemption_victim(std::span<Request* const> running, SchedulingPolicy policy) {
  TURBINE_CHECK(!running.empty(), "no running request to preempt");
  return *std::ranges::max_element(
      running, [policy](const Request* a, const Request* b) { return served_before(*a, *b, policy); });
}

int fork_point(const Request& request) { return request.num_prompt_tokens() - 1; }

int num_tokens_to_schedule(const Request& request, int start, int token_budget, const SchedulerConfig& config) {
  int count = std::min(request.num_planned_tokens() - start, token_budget);
  if (config.long_prefill_token_threshold > 0) count = std::min(count, config.long_prefill_token_threshold);
  if (request.fork_pending) count = std::min(count, fork_point(request) - start);
  return std::max(count, 0);
}

bool ready_for_drafts(const Request& request) {
  return request.status == RequestStatus::kRunning && request.num_in_flight_tokens == 0 && !request.fork_pending &&
         request.num_computed_tokens == request.num_tokens() - 1;
}

int num_drafts_to_schedule(const Request& request, int token_budget, const SchedulerConfig& config) {
  if (request.draft_token_ids.empty() || !ready_for_drafts(request)) return 0;
  int count = std::min(int(request.draft_token_ids.size()), token_budget - 1);
  if (config.long_prefill_token_threshold > 0) count = std::min(count, config.long_prefill_token_threshold - 1);
  count = std::min(count, request.params.max_tokens - request.num_output_tokens() - 1);
  count = std::min(count, config.max_model_len - request.num_tokens() - 1);
  return std::max(count, 0);
}

int prompt_tokens_in(const Request& request, int start, int end) {
  return std::max(std::min(end, request.num_prompt_tokens()) - start, 0);
}

int num_seats(const Request& request) { return request.fork_pending ? request.params.n : 1; }

}  // namespace turbine
