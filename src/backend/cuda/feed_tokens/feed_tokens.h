// Token feed (backend.h's feed_tokens): this step's input ids take the tokens an earlier step
// sampled on the device, so a step scheduled ahead needs no round trip through the host.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backend/cuda/common/device_error.h"

namespace turbine::cuda {

struct FeedTokensParams {
  int32_t* ids = nullptr;              // [n], device memory
  const int32_t* sources = nullptr;    // [n]: index into sampled, or < 0 to keep ids[i]
  int32_t n = 0;
  const int32_t* sampled = nullptr;    // [num_sampled]
  int32_t num_sampled = 0;
};

void launch_feed_tokens(const FeedTokensParams& p, DeviceErrorSink errors, cudaStream_t stream);

}  // namespace turbine::cuda
