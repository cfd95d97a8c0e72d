// RMSNorm, optionally fused with the residual add; LayerNorm.
//
// Memory-bound: per row it must read x (and the residual), write the out row (and the residual),
// and read the small weight vector, which stays in L1/L2. Shape of the kernel:
//  - Each row is owned by one warp when it is short (up to 256 vector units, e.g. hidden sizes up
//    to 2048 and the per-head q/k norms of Qwen3 with [tokens * heads, head_dim] views), so the
//    reduction is shuffles only and a block of 4 warps handles 4 rows; longer rows get a whole
//    block and a two-level (shuffle + shared memory) reduction.
//  - Loads are 16 bytes (8 BF16) when the row length is a multiple of 8 and the pointers are
//    16-byte aligned, element-wise otherwise.
//  - Two passes over the row: sum of squares, then scale. The second pass re-reads the row the
//    same thread read in the first (an L1/L2 hit), and each thread writes only the elements it
//    read, which is why `out` may alias `x` with no barrier.
//  - The fused variant rounds residual + x to BF16, stores it, and normalises the rounded values.
// Accumulation is F32; 1/rms is rsqrtf (about 2 ulp), far below the BF16 output rounding.
//
// LayerNorm has the same shape with three passes: the mean, the variance as the mean of squared
// deviations from it (no cancellation), then the output. The first pass sums x - x[0] rather than
// x, which is exact for nearby values (Sterbenz), so a row far from zero with a small spread keeps
// its mean; the deviations are (x - x[0]) - mean_of_shifted. A constant row gets exactly zero
// deviations, so its output is exactly the bias.
#include <algorithm>
#include <type_traits>

#include "backend/cuda/common/bf16_io.cuh"
#include "backend/cuda/common/cuda_check.h"
#include "backend/cuda/rms_norm/rms_norm.h"

namespace turbine::cuda {
namespace {

constexpr int kWarpRowsPerBlock = 4;
constexpr int64_t kMaxWarpRowUnits = 256;

// The row a thread works on, and its place (tid) in the group that owns the row: the lanes of its
// warp (kWarpPerRow: the block's warps take consecutive rows, and the last block's may run past
// the end) or the whole block.
struct RowThread {
  int64_t row;
  int tid, group;
};

template <bool kWarpPerRow>
__device__ __forceinline__ RowThread row_thread() {
  if constexpr (kWarpPerRow) {
    return {int64_t(blockIdx.x) * kWarpRowsPerBlock + threadIdx.x / 32, int(threadIdx.x % 32), 32};
  } else {
    return {int64_t(blockIdx.x), int(threadIdx.x), int(blockDim.x)};
  }
}

// The sum over the row's group (the warp, or the block) of each thread's v; every thread gets it.
// `partial` is the block's [32] scratch; kReused: an earlier call used it, so its readers of
// partial[0] must be done first.
template <bool kWarpPerRow, bool kReused>
__device__ __forceinline__ float row_sum(float v, float* partial) {
  v = warp_sum(v);
  if constexpr (!kWarpPerRow) {
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    if constexpr (kReused) __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    if (warp == 0) {
      float s = lane < int(blockDim.x / 32) ? partial[lane] : 0.0f;
      s = warp_sum(s);
      if (lane == 0) partial[0] = s;
    }
    __syncthreads();
    v = partial[0];
  }
  return v;
}

// Launches p's rows on `warp_kernel` (a warp per row, kWarpRowsPerBlock rows a block) when a row is
// at most kMaxWarpRowUnits steps of V elements, else on `block_kernel` (a block per row).
template <int V, typename Params>
void launch_rows(const Params& p, void (*warp_kernel)(Params), void (*block_kernel)(Params), cudaStream_t stream) {
  const int64_t units = (p.cols + V - 1) / V;
  if (units <= kMaxWarpRowUnits) {
    const int64_t blocks = (p.rows + kWarpRowsPerBlock - 1) / kWarpRowsPerBlock;
    warp_kernel<<<unsigned(blocks), 32 * kWarpRowsPerBlock, 0, stream>>>(p);
  } else {
    // About two vector units per thread: enough threads to keep loads in flight, few enough that
    // the block reduction stays cheap.
    const int threads = int(std::min<int64_t>(1024, (units / 2 + 31) / 32 * 32));
    block_kernel<<<unsigned(p.rows), threads, 0, stream>>>(p);
  }
  TURBINE_CUDA_CHECK_LAUNCH();
}

// launch(std::type_identity<W>{}) with W the element type of the norm weight's dtype.
template <typename Launch>
void with_weight_type(const char* op, DType weight_dtype, Launch launch) {
  switch (weight_dtype) {
    case DType::kBF16: launch(std::type_identity<bf16>{}); return;
    case DType::kF16: launch(std::type_identity<__half>{}); return;
    case DType::kF32: launch(std::type_identity<float>{}); return;
    default: TURBINE_LAUNCHER_REJECT(op, "a storage dtype");  // the op checks refuse them
  }
}

template <typename W, int V, bool kAdd, bool kWarpPerRow>
__global__ void rms_norm_kernel(RmsNormParams p) {
  const auto [row, tid, group] = row_thread<kWarpPerRow>();
  if (kWarpPerRow && row >= p.rows) return;  // whole warp leaves together; no block barriers in this mode
  __shared__ float partial[32];
  const bf16* x = static_cast<const bf16*>(p.x) + row * p.cols;
  bf16* residual = kAdd ? static_cast<bf16*>(p.residual) + row * p.cols : nullptr;
  bf16* out = static_cast<bf16*>(p.out) + row * p.cols;
  const W* weight = static_cast<const W*>(p.weight);

  float sum_sq = 0.0f;
  for (int64_t c = int64_t(tid) * V; c < p.cols; c += int64_t(group) * V) {
    float v[V];
    load_bf16<V>(x + c, v);
    if constexpr (kAdd) {
      float r[V];
      load_bf16<V>(residual + c, r);
#pragma unroll
      for (int i = 0; i < V; ++i) v[i] = __bfloat162float(__float2bfloat16_rn(r[i] + v[i]));
      store_bf16<V>(residual + c, v);
    }
#pragma unroll
    for (int i = 0; i < V; ++i) sum_sq += v[i] * v[i];
  }
  const float inv_rms = rsqrtf(row_sum<kWarpPerRow, false>(sum_sq, partial) / float(p.cols) + p.eps);

  const bf16* src = kAdd ? residual : x;
  for (int64_t c = int64_t(tid) * V; c < p.cols; c += int64_t(group) * V) {
    float v[V];
    load_bf16<V>(src + c, v);
#pragma unroll
    for (int i = 0; i < V; ++i) v[i] = v[i] * inv_rms * to_f32(weight[c + i]);
    store_bf16<V>(out + c, v);
  }
}

template <typename W, int V, bool kAdd>
void launch_rms_norm_shape(const RmsNormParams& p, cudaStream_t stream) {
  launch_rows<V>(p, rms_norm_kernel<W, V, kAdd, true>, rms_norm_kernel<W, V, kAdd, false>, stream);
}

template <typename W>
void launch_rms_norm_weight(const RmsNormParams& p, cudaStream_t stream) {
  const bool vector = p.cols % 8 == 0 && is_aligned(p.x, 16) && is_aligned(p.out, 16) &&
                      (p.residual == nullptr || is_aligned(p.residual, 16));
  if (p.residual != nullptr) {
    vector ? launch_rms_norm_shape<W, 8, true>(p, stream) : launch_rms_norm_shape<W, 1, true>(p, stream);
  } else {
    vector ? launch_rms_norm_shape<W, 8, false>(p, stream) : launch_rms_norm_shape<W, 1, false>(p, stream);
  }
}

__device__ __forceinline__ float bias_at(const void* bias, DType dtype, int64_t i) {
  switch (dtype) {
    case DType::kF32: return static_cast<const float*>(bias)[i];
    case DType::kF16: return __half2float(static_cast<const __half*>(bias)[i]);
    default: return __bfloat162float(static_cast<const bf16*>(bias)[i]);
  }
}

template <typename W, int V, bool kWarpPerRow>
__global__ void layer_norm_kernel(LayerNormParams p) {
  const auto [row, tid, group] = row_thread<kWarpPerRow>();
  if (kWarpPerRow && row >= p.rows) return;  // whole warp leaves together; no block barriers in this mode
  __shared__ float partial[32];
  const bf16* x = static_cast<const bf16*>(p.x) + row * p.cols;
  bf16* out = static_cast<bf16*>(p.out) + row * p.cols;
  const W* weight = static_cast<const W*>(p.weight);
  // Read by every thread before any thread writes (out may alias x): the reductions below order it.
  const float shift = __bfloat162float(x[0]);

  float sum = 0.0f;
  for (int64_t c = int64_t(tid) * V; c < p.cols; c += int64_t(group) * V) {
    float v[V];
    load_bf16<V>(x + c, v);
#pragma unroll
    for (int i = 0; i < V; ++i) sum += v[i] - shift;
  }
  const float mean = row_sum<kWarpPerRow, false>(sum, partial) / float(p.cols);  // of x - shift

  float sum_sq = 0.0f;
  for (int64_t c = int64_t(tid) * V; c < p.cols; c += int64_t(group) * V) {
    float v[V];
    load_bf16<V>(x + c, v);
#pragma unroll
    for (int i = 0; i < V; ++i) {
      const float d = (v[i] - shift) - mean;
      sum_sq += d * d;
    }
  }
  const float inv_std = rsqrtf(row_sum<kWarpPerRow, true>(sum_sq, partial) / float(p.cols) + p.eps);

  for (int64_t c = int64_t(tid) * V; c < p.cols; c += int64_t(group) * V) {
    float v[V];
    load_bf16<V>(x + c, v);
#pragma unroll
    for (int i = 0; i < V; ++i) {
      v[i] = ((v[i] - shift) - mean) * inv_std * to_f32(weight[c + i]);
      if (p.bias != nullptr) v[i] += bias_at(p.bias, p.bias_dtype, c + i);
    }
    store_bf16<V>(out + c, v);
  }
}

template <typename W, int V>
void launch_layer_norm_shape(const LayerNormParams& p, cudaStream_t stream) {
  launch_rows<V>(p, layer_norm_kernel<W, V, true>, layer_norm_kernel<W, V, false>, stream);
}

template <typename W>
void launch_layer_norm_weight(const LayerNormParams& p, cudaStream_t stream) {
  const bool vector = p.cols % 8 == 0 && is_aligned(p.x, 16) && is_aligned(p.out, 16);
  vector ? launch_layer_norm_shape<W, 8>(p, stream) : launch_layer_norm_shape<W, 1>(p, stream);
}

}  // namespace

void launch_layer_norm(const LayerNormParams& p, cudaStream_t stream) {
  if (p.rows == 0) return;
  with_weight_type("layer_norm", p.weight_dtype,
                   [&](auto w) { launch_layer_norm_weight<typename decltype(w)::type>(p, stream); });
}

void launch_rms_norm(const RmsNormParams& p, cudaStream_t stream) {
  if (p.rows == 0) return;
  with_weight_type("rms_norm", p.weight_dtype,
                   [&](auto w) { launch_rms_norm_weight<typename decltype(w)::type>(p, stream); });
}

}  // namespace turbine::cuda
