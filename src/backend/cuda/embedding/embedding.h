// Embedding lookup: out[i, :] = bf16(table[ids[i], :]). Host-side launcher; the backend checks
// shapes and dtypes first (op_checks.h), the kernel checks each id (device_error.h).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backend/cuda/common/device_error.h"
#include "common/dtype.h"

namespace turbine::cuda {

struct EmbeddingParams {
  const void* table = nullptr;  // [table_rows, cols] of table_dtype (F32, BF16 or F16)
  DType table_dtype = DType::kBF16;
  int64_t table_rows = 0;
  int64_t cols = 0;
  const int32_t* ids = nullptr;  // [num_ids], device memory
  void* out = nullptr;           // BF16 [num_ids, cols]
  int64_t num_ids = 0;
};

void launch_embedding(const EmbeddingParams& p, DeviceErrorSink errors, cudaStream_t stream);

}  // namespace turbine::cuda
