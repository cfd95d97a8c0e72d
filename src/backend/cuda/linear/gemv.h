// linear() for a few rows of x (decode): out[m, n] = x[m, k] * weight[n, k]^T (+ bias), m <= 16,
// a kernel that streams the weight once at close to the memory bandwidth. gemv.cu says how.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <span>

#include "common/tensor.h"

namespace turbine::cuda {

// The most rows of x one launch takes: two 8-token MMA tiles.
inline constexpr int64_t kGemvMaxM = 16;

// The kernel's shape. `unroll`: 32-element k-blocks per warp per loop step (each lane keeps
// 2 * unroll 16-byte weight loads in flight); `warps`: warps per CTA, all on the same 16 weight
// rows and splitting k between them; `l2_prefetch`: ask L2 for 256-byte lines on each weight miss.
struct GemvConfig {
  int unroll = 8;
  int warps = 8;
  bool l2_prefetch = true;
};

// Every compiled configuration (the benchmark sweeps them).
std::span<const GemvConfig> gemv_configs();

// The configuration launch_gemv picks for a shape when none is given.
GemvConfig gemv_default_config(int64_t m, int64_t n, int64_t k);

// Same contract as CublasLtLinear::run, for 1 <= x.rows <= kGemvMaxM: x and weight BF16 with
// k % 8 == 0, 16-byte aligned x, weight and out; out BF16 or F32; bias [1, n] of F32, BF16 or F16
// (any element-aligned address) or null. F32 accumulation; the bias is added in F32 and the result
// rounded once. `config` must be one of gemv_configs() (null: gemv_default_config).
void launch_gemv(const Tensor& x, const Tensor& weight, const Tensor* bias, Tensor& out, cudaStream_t stream,
                 const GemvConfig* config = nullptr);

}  // namespace turbine::cuda
