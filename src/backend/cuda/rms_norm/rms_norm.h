// RMSNorm and the fused residual-add + RMSNorm of pre-norm transformers, and LayerNorm (GPT-NeoX,
// Falcon). Host-side launchers.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "common/dtype.h"

namespace turbine::cuda {

// What both norms take: BF16 rows in and out, a per-column weight.
struct NormParams {
  const void* x = nullptr;       // BF16 [rows, cols]
  const void* weight = nullptr;  // [cols] of weight_dtype (F32, BF16 or F16), any 2-byte alignment
  DType weight_dtype = DType::kBF16;
  void* out = nullptr;  // BF16 [rows, cols]; may alias x
  int64_t rows = 0;
  int64_t cols = 0;
  float eps = 0.0f;
};

struct RmsNormParams : NormParams {
  void* residual = nullptr;  // BF16 [rows, cols]: add_rms_norm's residual (in/out); null for rms_norm
};

// residual == null: out = rms_norm(x). Otherwise residual += x (rounded to BF16 and stored), then
// out = rms_norm(residual) of the stored, rounded residual, so `out` is exactly the norm of what
// later layers will read back.
void launch_rms_norm(const RmsNormParams& p, cudaStream_t stream);

struct LayerNormParams : NormParams {
  const void* bias = nullptr;  // [cols] of bias_dtype (F32, BF16 or F16), or null: no bias
  DType bias_dtype = DType::kBF16;
};

// out = (x - mean) / sqrt(var + eps) * weight + bias per row (biased variance), in F32.
void launch_layer_norm(const LayerNormParams& p, cudaStream_t stream);

}  // namespace turbine::cuda
