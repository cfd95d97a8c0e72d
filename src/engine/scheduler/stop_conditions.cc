#include "engine/scheduler/stop_conditions.h"

#include <algorithm>

#include "common/error.h"

namespace turbine {

std::optional<StopVerdict> check_stop(Request& request, const SchedulerConfig& config) {
  TURBINE_CHECK(request.num_output_tokens() > 0);
  const int32_t token = request.output_token_ids().back();
  const bool may_stop = request.num_output_tokens() >= request.params.min_tokens;
  if (may_stop) {
    if (!request.params.ignore_eos && std::ranges::find(config.eos_token_ids, token) != config.eos_token_ids.end())
      return StopVerdict{RequestStatus::kFinishedStopped, std::nullopt};
    if (std::ranges::find(request.params.stop_token_ids, token) != request.params.stop_token_ids.end())
      return StopVerdict{RequestStatus::kFinishedStopped, token};
  }
  if (request.stop_strings && request.stop_strings->append_token(token, may_stop) && may_stop)
    return StopVerdict{RequestStatus::kFinishedStopped, std::nullopt};
  if (request.num_output_tokens() >= request.params.max_tokens || request.num_tokens() >= config.max_model_len)
    return StopVerdict{RequestStatus::kFinishedLength, std::nullopt};
  return std::nullopt;
}

bool in_flight_token_ends(const Request& request, const SchedulerConfig& config) {
  return request.num_output_tokens() + request.num_in_flight_tokens >= request.params.max_tokens ||
         request.num_planned_tokens() >= config.max_model_len;
}

}  // namespace turbine
