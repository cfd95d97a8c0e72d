#include "backend/cuda/linear/linear_simt.h"

#include "backend/cuda/common/bf16_io.cuh"
#include "backend/cuda/common/cuda_check.h"

namespace turbine::cuda {
namespace {

constexpr int kWarpsPerBlock = 8;

template <typename Out>
__global__ void linear_simt_kernel(const bf16* __restrict__ x, const bf16* __restrict__ w, Out* __restrict__ out,
                                   int64_t n, int64_t k) {
  const int64_t row = blockIdx.y;
  const int64_t col = int64_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (col >= n) return;
  const bf16* xr = x + row * k;
  const bf16* wr = w + col * k;
  float sum = 0.0f;
  for (int64_t i = lane; i < k; i += 32) sum += __bfloat162float(xr[i]) * __bfloat162float(wr[i]);
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  if (lane == 0) {
    if constexpr (sizeof(Out) == 4) {
      out[row * n + col] = sum;
    } else {
      out[row * n + col] = __float2bfloat16_rn(sum);
    }
  }
}

}  // namespace

void launch_linear_simt(const void* x, const void* weight, void* out, bool out_is_f32, int64_t m, int64_t n,
                        int64_t k, cudaStream_t stream) {
  if (m == 0 || n == 0) return;
  if (m > 65535) TURBINE_LAUNCHER_REJECT("linear_simt", "more than 65535 rows");
  const dim3 grid(unsigned((n + kWarpsPerBlock - 1) / kWarpsPerBlock), unsigned(m));
  const auto* xb = static_cast<const bf16*>(x);
  const auto* wb = static_cast<const bf16*>(weight);
  if (out_is_f32) {
    linear_simt_kernel<<<grid, kWarpsPerBlock * 32, 0, stream>>>(xb, wb, static_cast<float*>(out), n, k);
  } else {
    linear_simt_kernel<<<grid, kWarpsPerBlock * 32, 0, stream>>>(xb, wb, static_cast<bf16*>(out), n, k);
  }
  TURBINE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace turbine::cuda
