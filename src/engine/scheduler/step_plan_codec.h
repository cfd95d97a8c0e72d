// The step plan as bytes: SchedulerOutput encoded for a worker in another thread or process.
//
// The plan is a plain value (scheduler_output.h), so sending it is a matter of writing every field
// down: the executor broadcasts each step's bytes to its follower workers (Communicator::broadcast),
// which decode and run the same plan. The format is little-endian, length-prefixed and versioned;
// it is an in-flight format between workers of one build, not a file format. decode() checks
// every length against what is left and throws turbine::Error on anything malformed, so a torn
// message fails loudly instead of running a wrong step.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/scheduler/scheduler_output.h"

namespace turbine {

// Replaces `bytes` with the encoding of `plan` (the buffer's capacity is reused step to step).
void encode_step_plan(const SchedulerOutput& plan, std::vector<uint8_t>& bytes);
SchedulerOutput decode_step_plan(std::span<const uint8_t> bytes);

}  // namespace turbine
