// Elementwise ops: SiLU-and-multiply of the gated MLP, and the residual add.
//
// Pure streaming: each element is read once and written once, so the only things that matter are
// 16-byte accesses (8 BF16 per thread per step, used when the count is a multiple of 8 and every
// pointer is 16-byte aligned; element-wise otherwise) and enough blocks in flight, with a
// grid-stride loop so any size works with a bounded grid. Every thread writes only the elements it
// read, so in-place use (out == gate) needs no barrier.
#include <algorithm>

#include "backend/cuda/common/bf16_io.cuh"
#include "backend/cuda/common/cuda_check.h"
#include "backend/cuda/elementwise/elementwise.h"

namespace turbine::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 8192;

__device__ __forceinline__ float silu(float g) { return g / (1.0f + expf(-g)); }

template <int V>
__global__ void silu_mul_kernel(const bf16* gate, const bf16* up, bf16* out, int64_t count) {
  const int64_t units = count / V;
  for (int64_t u = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; u < units; u += int64_t(gridDim.x) * blockDim.x) {
    float g[V], x[V];
    load_bf16<V>(gate + u * V, g);
    load_bf16<V>(up + u * V, x);
#pragma unroll
    for (int i = 0; i < V; ++i) g[i] = silu(g[i]) * x[i];
    store_bf16<V>(out + u * V, g);
  }
}

// gate_up rows are [gate (n) | up (n)]; V elements per step, n % V == 0.
template <int V>
__global__ void silu_mul_fused_kernel(const bf16* gate_up, bf16* out, int64_t rows, int64_t n) {
  const int64_t per_row = n / V, units = rows * per_row;
  for (int64_t u = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; u < units; u += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = u / per_row, c = (u - r * per_row) * V;
    float g[V], x[V];
    load_bf16<V>(gate_up + r * 2 * n + c, g);
    load_bf16<V>(gate_up + r * 2 * n + n + c, x);
#pragma unroll
    for (int i = 0; i < V; ++i) g[i] = silu(g[i]) * x[i];
    store_bf16<V>(out + r * n + c, g);
  }
}

template <int V>
__global__ void add_kernel(bf16* x, const bf16* y, int64_t count) {
  const int64_t units = count / V;
  for (int64_t u = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; u < units; u += int64_t(gridDim.x) * blockDim.x) {
    float a[V], b[V];
    load_bf16<V>(x + u * V, a);
    load_bf16<V>(y + u * V, b);
#pragma unroll
    for (int i = 0; i < V; ++i) a[i] += b[i];
    store_bf16<V>(x + u * V, a);
  }
}

unsigned blocks_for(int64_t units) { return unsigned(std::clamp<int64_t>((units + kThreads - 1) / kThreads, 1, kMaxBlocks)); }

}  // namespace

void launch_silu_mul(const void* gate, const void* up, void* out, int64_t count, cudaStream_t stream) {
  if (count == 0) return;
  auto* g = static_cast<const bf16*>(gate);
  auto* u = static_cast<const bf16*>(up);
  auto* o = static_cast<bf16*>(out);
  if (count % 8 == 0 && is_aligned(g, 16) && is_aligned(u, 16) && is_aligned(o, 16)) {
    silu_mul_kernel<8><<<blocks_for(count / 8), kThreads, 0, stream>>>(g, u, o, count);
  } else {
    silu_mul_kernel<1><<<blocks_for(count), kThreads, 0, stream>>>(g, u, o, count);
  }
  TURBINE_CUDA_CHECK_LAUNCH();
}

void launch_silu_mul_fused(const void* gate_up, void* out, int64_t rows, int64_t n, cudaStream_t stream) {
  if (rows == 0 || n == 0) return;
  auto* g = static_cast<const bf16*>(gate_up);
  auto* o = static_cast<bf16*>(out);
  if (n % 8 == 0 && is_aligned(g, 16) && is_aligned(o, 16)) {
    silu_mul_fused_kernel<8><<<blocks_for(rows * n / 8), kThreads, 0, stream>>>(g, o, rows, n);
  } else {
    silu_mul_fused_kernel<1><<<blocks_for(rows * n), kThreads, 0, stream>>>(g, o, rows, n);
  }
  TURBINE_CUDA_CHECK_LAUNCH();
}

void launch_add(void* x, const void* y, int64_t count, cudaStream_t stream) {
  if (count == 0) return;
  auto* a = static_cast<bf16*>(x);
  auto* b = static_cast<const bf16*>(y);
  if (count % 8 == 0 && is_aligned(a, 16) && is_aligned(b, 16)) {
    add_kernel<8><<<blocks_for(count / 8), kThreads, 0, stream>>>(a, b, count);
  } else {
    add_kernel<1><<<blocks_for(count), kThreads, 0, stream>>>(a, b, count);
  }
  TURBINE_CUDA_CHECK_LAUNCH();
}

}  // namespace turbine::cuda
