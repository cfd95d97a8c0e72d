// linear() for shapes the fast paths cannot take: in_features not a multiple of 8 or operands
// not 16-byte aligned (tiny models such as stories260K, whose MLP is 172 wide). One warp per
// output element with scalar loads: correct for any shape, far from peak, and never chosen for
// a model whose sizes are multiples of 8.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace turbine::cuda {

// out[m, n] = x[m, k] (BF16) * weight[n, k] (BF16)^T, F32 accumulation; out BF16 or F32
// (out_is_f32). Bias, if any, is added afterwards by launch_bias_add.
void launch_linear_simt(const void* x, const void* weight, void* out, bool out_is_f32, int64_t m, int64_t n,
                        int64_t k, cudaStream_t stream);

}  // namespace turbine::cuda
