// Scatter of this step's K and V rows into their paged-cache slots (backend.h's write_kv).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backend/cuda/common/device_error.h"

namespace turbine::cuda {

struct WriteKvParams {
  const void* k = nullptr;              // BF16 [tokens, cols]
  const void* v = nullptr;              // BF16 [tokens, cols]
  const int32_t* slot_mapping = nullptr;  // [tokens], device memory; negative = padding, skipped
  void* k_cache = nullptr;              // BF16 [cache_rows, cols]
  void* v_cache = nullptr;              // BF16 [cache_rows, cols]
  int64_t tokens = 0;
  int64_t cols = 0;
  int64_t cache_rows = 0;
};

void launch_write_kv(const WriteKvParams& p, DeviceErrorSink errors, cudaStream_t stream);

}  // namespace turbine::cuda
