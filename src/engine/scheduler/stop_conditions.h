// When a sequence is done, checked after each token appended to it.
//
// In order, on the token just appended:
//  1. Once min_tokens output tokens exist: EOS (unless ignore_eos) or a stop token id finishes
//     with "stop". Before min_tokens they are ordinary tokens (the sampler should also mask them
//     then, so this is a backstop).
//  2. The request's StopStringMatcher, if any, sees the token (always, so its detokenizer keeps
//     up) and may finish it with "stop" once min_tokens is reached.
//  3. max_tokens output tokens, or max_model_len tokens in all, finishes with "length".
// A stop wins over a length limit reached by the same token, as Hugging Face reports it.
#pragma once

#include <cstdint>
#include <optional>

#include "engine/request.h"
#include "engine/scheduler/scheduler_config.h"

namespace turbine {

struct StopVerdict {
  RequestStatus status = RequestStatus::kFinishedStopped;  // a finished status
  std::optional<int32_t> stop_token_id;                     // set when a stop token id matched
};

// `request` must have at least one output token, the newest being the one to judge. Feeds the
// token to the request's stop-string matcher.
std::optional<StopVerdict> check_stop(Request& request, const SchedulerConfig& config);

// Whether the length limit (rule 3) will finish the request once its in-flight tokens arrive,
// whatever they are: the scheduler does not schedule such a sequence ahead of them.
bool in_flight_token_ends(const Request& request, const SchedulerConfig& config);

}  // namespace turbine
