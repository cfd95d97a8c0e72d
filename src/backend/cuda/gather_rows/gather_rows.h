// Row gather: out[i, :] = x[rows[i], :] for any dtype (backend.h's gather_rows).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "backend/cuda/common/device_error.h"

namespace turbine::cuda {

struct GatherRowsParams {
  const void* x = nullptr;
  int64_t x_rows = 0;
  size_t row_bytes = 0;
  const int32_t* rows = nullptr;  // [out_rows], device memory
  void* out = nullptr;            // must not overlap x (checked by the backend)
  int64_t out_rows = 0;
};

void launch_gather_rows(const GatherRowsParams& p, DeviceErrorSink errors, cudaStream_t stream);

}  // namespace turbine::cuda
