// out[r, c] += bias[c]: the bias of linear() when cuBLASLt's epilogue cannot take it (a bias that is
// not BF16 or not 16-byte aligned, or an F32 output).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "common/dtype.h"

namespace turbine::cuda {

// out is BF16 or F32 [rows, cols]; bias is [cols] of F32, BF16 or F16.
void launch_bias_add(void* out, DType out_dtype, const void* bias, DType bias_dtype, int64_t rows, int64_t cols,
                     cudaStream_t stream);

}  // namespace turbine::cuda
