// Bias add after a GEMM, for the cases cuBLASLt's bias epilogue does not cover. Element-wise with
// a grid-stride loop; consecutive threads take consecutive columns, so the bias reads coalesce and
// stay in cache. The add is in F32 and rounds once (so a BF16 output is rounded twice in total: once
// by the GEMM, once here; within the BF16 tolerance, and the common BF16-bias case avoids it).
#include <algorithm>

#include "backend/cuda/common/bf16_io.cuh"
#include "backend/cuda/common/cuda_check.h"
#include "backend/cuda/linear/bias_add.h"

namespace turbine::cuda {
namespace {

__device__ __forceinline__ void store(float* p, float v) { *p = v; }
__device__ __forceinline__ void store(bf16* p, float v) { *p = __float2bfloat16_rn(v); }

template <typename O, typename B>
__global__ void bias_add_kernel(O* out, const B* bias, int64_t rows, int64_t cols) {
  const int64_t count = rows * cols;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += int64_t(gridDim.x) * blockDim.x) {
    store(out + i, to_f32(out[i]) + to_f32(bias[i % cols]));
  }
}

template <typename O>
void launch_out(O* out, const void* bias, DType bias_dtype, int64_t rows, int64_t cols, cudaStream_t stream) {
  const unsigned blocks = unsigned(std::clamp<int64_t>((rows * cols + 255) / 256, 1, 8192));
  switch (bias_dtype) {
    case DType::kF32: bias_add_kernel<<<blocks, 256, 0, stream>>>(out, static_cast<const float*>(bias), rows, cols); break;
    case DType::kBF16: bias_add_kernel<<<blocks, 256, 0, stream>>>(out, static_cast<const bf16*>(bias), rows, cols); break;
    case DType::kF16: bias_add_kernel<<<blocks, 256, 0, stream>>>(out, static_cast<const __half*>(bias), rows, cols); break;
    default: TURBINE_LAUNCHER_REJECT("bias_add", "a storage dtype");  // the op checks refuse them
  }
  TURBINE_CUDA_CHECK_LAUNCH();
}

}  // namespace

void launch_bias_add(void* out, DType out_dtype, const void* bias, DType bias_dtype, int64_t rows, int64_t cols,
                     cudaStream_t stream) {
  if (rows == 0 || cols == 0) return;
  switch (out_dtype) {
    case DType::kF32: launch_out(static_cast<float*>(out), bias, bias_dtype, rows, cols, stream); return;
    case DType::kBF16: launch_out(static_cast<bf16*>(out), bias, bias_dtype, rows, cols, stream); return;
    case DType::kF16: TURBINE_LAUNCHER_REJECT("bias_add", "F16 output");
    default: TURBINE_LAUNCHER_REJECT("bias_add", "a storage dtype");  // the op checks refuse them
  }
}

}  // namespace turbine::cuda
