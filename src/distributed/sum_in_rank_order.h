// The elementwise sum behind the in-process all_reduce_sum, in a fixed order.
#pragma once

#include <cstdint>
#include <span>

#include "common/dtype.h"

namespace turbine {

// For every i in [begin, end), element i of every buffer becomes
//   ((buffers[0][i] + buffers[1][i]) + buffers[2][i]) + ...
// added in float, left to right, and rounded once to `dtype` (a no-op for F32). Reads every
// buffer's element before writing any, so buffers[0] may be one of the outputs.
void sum_in_rank_order(DType dtype, std::span<void* const> buffers, int64_t begin, int64_t end);

}  // namespace turbine
