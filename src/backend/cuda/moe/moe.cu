// Mixture of Experts: routing, the experts' gated MLPs, and the sigmoid-gated shared-expert add.
//
// A first version, written to be right and capturable in a CUDA graph rather than fast: every
// launch shape is a function of (tokens, top_k, experts, hidden, intermediate), the ids are read
// only by the kernels, nothing waits on the host, and the only memory is a scratch buffer that the
// backend sizes before any capture. (The fast path, a grouped GEMM over the tokens sorted by
// expert as vLLM's fused_moe does, reads each expert's weights once per batch instead of once per
// routed token, and comes later.)
//
// - Routing: one warp per token. The softmax's max and sum are warp reductions in F32; then top_k
//   rounds, each a warp argmax over the experts that come after the previous pick in the routing
//   order (larger logit first, NaN as -inf, ties to the lower id), so no per-row state is kept and
//   any expert count works. Ordering by the logit is ordering by the exact p (softmax is
//   monotonic), and it is what the CPU backend and the reference do, so ids agree exactly.
// - Experts, per chunk of tokens: (a) one block per (token, slot) pair and 8 intermediate rows,
//   a warp per row computing the gate and up dot products over hidden (GEMV-style: lanes split
//   the row, 16-byte loads when hidden % 8 == 0 and the operands are aligned), each rounded to
//   BF16 as the dense MLP's GEMM output is, then silu(g) * u rounded to BF16 into the scratch
//   [pairs, intermediate]; (b) one block per token and 8 hidden rows, a warp per output summing
//   w_j * (down_j . act_j) over the token's top_k slots in F32 and rounding once. (b) owns each
//   output, so there are no atomics and the result is deterministic. Chunks keep the scratch
//   under 32 MiB for any batch.
// - An expert id outside [0, num_experts) is reported through device_error.h (as the CPU backend
//   aborts) and its slot contributes nothing.
#include "backend/cuda/moe/moe.h"

#include <algorithm>

#include "backend/cuda/common/bf16_io.cuh"
#include "backend/cuda/common/cuda_check.h"

namespace turbine::cuda {
namespace {

constexpr int kRouteWarps = 4;   // tokens per routing block
constexpr int kExpertWarps = 8;  // output rows per expert-kernel block
constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 8192;

int64_t chunk_tokens(int64_t tokens, int top_k, int64_t intermediate) {
  const size_t per_token = size_t(top_k) * size_t(intermediate) * sizeof(bf16);
  return std::clamp<int64_t>(int64_t(kMoeMaxScratchBytes / std::max<size_t>(per_token, 1)), 1, std::max<int64_t>(tokens, 1));
}

// ---- routing -------------------------------------------------------------------------------

__device__ __forceinline__ float load_logit(const float* row, int e) { return row[e]; }
__device__ __forceinline__ float load_logit(const bf16* row, int e) { return __bfloat162float(row[e]); }
__device__ __forceinline__ float route_key(float logit) { return isnan(logit) ? -INFINITY : logit; }

// Whether expert a (key ka) comes before b in the routing order; id -1 is "none", after all.
__device__ __forceinline__ bool route_before(float ka, int a, float kb, int b) {
  if (b < 0) return a >= 0;
  if (a < 0) return false;
  return ka > kb || (ka == kb && a < b);
}

template <typename T>
__global__ void moe_route_kernel(const T* logits, int64_t tokens, int num_experts, int top_k, bool renormalize,
                                 int32_t* ids, float* weights) {
  const int lane = threadIdx.x & 31;
  const int64_t t = int64_t(blockIdx.x) * kRouteWarps + (threadIdx.x >> 5);
  if (t >= tokens) return;  // the whole warp
  const T* row = logits + t * num_experts;
  float max_logit = -INFINITY;
  for (int e = lane; e < num_experts; e += 32) max_logit = fmaxf(max_logit, load_logit(row, e));
  max_logit = warp_max(max_logit);
  float denom = 0.0f;
  for (int e = lane; e < num_experts; e += 32) denom += expf(load_logit(row, e) - max_logit);
  denom = warp_sum(denom);

  int32_t* id = ids + t * top_k;
  float* w = weights + t * top_k;
  float prev_key = 0.0f, sum = 0.0f;
  int prev = -1;
  for (int j = 0; j < top_k; ++j) {
    float best_key = 0.0f;
    int best = -1;
    for (int e = lane; e < num_experts; e += 32) {
      const float key = route_key(load_logit(row, e));
      if (prev >= 0 && !route_before(prev_key, prev, key, e)) continue;  // picked in an earlier round
      if (route_before(key, e, best_key, best)) best_key = key, best = e;
    }
    // A total order has one maximum, so every lane ends with the same pick.
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
      const float other_key = __shfl_xor_sync(0xffffffffu, best_key, o);
      const int other = __shfl_xor_sync(0xffffffffu, best, o);
      if (route_before(other_key, other, best_key, best)) best_key = other_key, best = other;
    }
    // top_k <= num_experts (checked on the host), so a pick always exists.
    const float p = expf(load_logit(row, best) - max_logit) / denom;
    if (lane == 0) id[j] = best, w[j] = p;
    sum += p;
    prev = best, prev_key = best_key;
  }
  if (renormalize && lane == 0) {
    for (int j = 0; j < top_k; ++j) w[j] /= sum;
  }
}

// ---- experts -------------------------------------------------------------------------------

// Eight consecutive weights at p (16-byte aligned), widened.
__device__ __forceinline__ void load8(const bf16* p, float (&f)[8]) { load_bf16<8>(p, f); }
__device__ __forceinline__ void load8(const __half* p, float (&f)[8]) {
  const uint4 u = *reinterpret_cast<const uint4*>(p);
  const uint32_t w[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    __half2 h;
    memcpy(&h, &w[i], sizeof(h));
    const float2 v = __half22float2(h);
    f[2 * i] = v.x, f[2 * i + 1] = v.y;
  }
}
__device__ __forceinline__ void load8(const float* p, float (&f)[8]) {
  const float4 a = reinterpret_cast<const float4*>(p)[0], b = reinterpret_cast<const float4*>(p)[1];
  f[0] = a.x, f[1] = a.y, f[2] = a.z, f[3] = a.w, f[4] = b.x, f[5] = b.y, f[6] = b.z, f[7] = b.w;
}

__device__ __forceinline__ float round_to_bf16(float v) { return __bfloat162float(__float2bfloat16_rn(v)); }

// (a) act[pair, r] = bf16(silu(bf16(gate_r . x)) * bf16(up_r . x)) for the pairs [first_pair,
// first_pair + gridDim.x); a warp per intermediate row r.
template <typename W, bool kVec>
__global__ void __launch_bounds__(kThreads) moe_gate_up_kernel(MoeExpertsParams p, int64_t first_pair,
                                                               DeviceErrorSink errors) {
  const int64_t local = blockIdx.x, pair = first_pair + local;
  const int e = p.ids[pair];
  if (e < 0 || e >= p.num_experts) {
    if (blockIdx.y == 0 && threadIdx.x == 0)
      report_device_error(errors, DeviceErrorCode::kMoeExpertId, e, int32_t(pair), p.num_experts);
    return;
  }
  const int lane = threadIdx.x & 31;
  const int64_t r = int64_t(blockIdx.y) * kExpertWarps + (threadIdx.x >> 5);
  if (r >= p.intermediate) return;
  const int64_t hidden = p.hidden, inter = p.intermediate;
  const W* wg = static_cast<const W*>(p.gate_up) + (int64_t(e) * 2 * inter + r) * hidden;
  const W* wu = wg + inter * hidden;
  const bf16* x = static_cast<const bf16*>(p.x) + (pair / p.top_k) * hidden;
  float g = 0.0f, u = 0.0f;
  if constexpr (kVec) {
    for (int64_t i = int64_t(lane) * 8; i < hidden; i += 32 * 8) {
      float xv[8], a[8], b[8];
      load_bf16<8>(x + i, xv);
      load8(wg + i, a);
      load8(wu + i, b);
#pragma unroll
      for (int q = 0; q < 8; ++q) g = fmaf(xv[q], a[q], g), u = fmaf(xv[q], b[q], u);
    }
  } else {
    for (int64_t i = lane; i < hidden; i += 32) {
      const float xv = __bfloat162float(x[i]);
      g = fmaf(xv, to_f32(wg[i]), g);
      u = fmaf(xv, to_f32(wu[i]), u);
    }
  }
  g = round_to_bf16(warp_sum(g));
  u = round_to_bf16(warp_sum(u));
  if (lane == 0) static_cast<bf16*>(p.scratch)[local * inter + r] = __float2bfloat16_rn(g / (1.0f + expf(-g)) * u);
}

// (b) out[t, h] = bf16(sum_j w[t, j] * (down_{e_j}[h] . act[t, j])) for the tokens [first_token,
// first_token + gridDim.x); a warp per output h.
template <typename W, bool kVec>
__global__ void __launch_bounds__(kThreads) moe_down_kernel(MoeExpertsParams p, int64_t first_token) {
  const int64_t local = blockIdx.x, t = first_token + local;
  const int lane = threadIdx.x & 31;
  const int64_t h = int64_t(blockIdx.y) * kExpertWarps + (threadIdx.x >> 5);
  if (h >= p.hidden) return;
  const int64_t hidden = p.hidden, inter = p.intermediate;
  float acc = 0.0f;
  for (int j = 0; j < p.top_k; ++j) {
    const int64_t pair = t * p.top_k + j;
    const int e = p.ids[pair];
    if (e < 0 || e >= p.num_experts) continue;  // reported by the gate/up kernel
    const W* wd = static_cast<const W*>(p.down) + (int64_t(e) * hidden + h) * inter;
    const bf16* a = static_cast<const bf16*>(p.scratch) + (local * p.top_k + j) * inter;
    float d = 0.0f;
    if constexpr (kVec) {
      for (int64_t i = int64_t(lane) * 8; i < inter; i += 32 * 8) {
        float av[8], wv[8];
        load_bf16<8>(a + i, av);
        load8(wd + i, wv);
#pragma unroll
        for (int q = 0; q < 8; ++q) d = fmaf(av[q], wv[q], d);
      }
    } else {
      for (int64_t i = lane; i < inter; i += 32) d = fmaf(__bfloat162float(a[i]), to_f32(wd[i]), d);
    }
    acc = fmaf(p.weights[pair], warp_sum(d), acc);  // the same on every lane (see route's note)
  }
  if (lane == 0) static_cast<bf16*>(p.out)[t * hidden + h] = __float2bfloat16_rn(acc);
}

template <typename W>
void run_experts(const MoeExpertsParams& p, DeviceErrorSink errors, cudaStream_t stream) {
  const bool vec_gate_up = p.hidden % 8 == 0 && is_aligned(p.x, 16) && is_aligned(p.gate_up, 16);
  const bool vec_down = p.intermediate % 8 == 0 && is_aligned(p.scratch, 16) && is_aligned(p.down, 16);
  const auto gate_up = vec_gate_up ? moe_gate_up_kernel<W, true> : moe_gate_up_kernel<W, false>;
  const auto down = vec_down ? moe_down_kernel<W, true> : moe_down_kernel<W, false>;
  const unsigned gate_up_y = unsigned((p.intermediate + kExpertWarps - 1) / kExpertWarps);
  const unsigned down_y = unsigned((p.hidden + kExpertWarps - 1) / kExpertWarps);
  const int64_t chunk = chunk_tokens(p.tokens, p.top_k, p.intermediate);
  for (int64_t first = 0; first < p.tokens; first += chunk) {
    const int64_t n = std::min(chunk, p.tokens - first);
    gate_up<<<dim3(unsigned(n * p.top_k), gate_up_y), kThreads, 0, stream>>>(p, first * p.top_k, errors);
    TURBINE_CUDA_CHECK_LAUNCH();
    down<<<dim3(unsigned(n), down_y), kThreads, 0, stream>>>(p, first);
    TURBINE_CUDA_CHECK_LAUNCH();
  }
}

// ---- gated add -------------------------------------------------------------------------------

template <bool kGateF32>
__global__ void add_sigmoid_scaled_kernel(bf16* x, const bf16* y, const void* gate, int64_t rows, int64_t cols) {
  const int64_t count = rows * cols;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t t = i / cols;
    const float g = kGateF32 ? static_cast<const float*>(gate)[t] : __bfloat162float(static_cast<const bf16*>(gate)[t]);
    const float s = 1.0f / (1.0f + expf(-g));
    x[i] = __float2bfloat16_rn(fmaf(s, __bfloat162float(y[i]), __bfloat162float(x[i])));
  }
}

}  // namespace

size_t moe_experts_scratch_bytes(int64_t tokens, int top_k, int64_t intermediate) {
  if (tokens <= 0) return 0;
  return size_t(chunk_tokens(tokens, top_k, intermediate)) * size_t(top_k) * size_t(intermediate) * sizeof(bf16);
}

void launch_moe_route(const MoeRouteParams& p, cudaStream_t stream) {
  if (p.tokens == 0) return;
  const unsigned blocks = unsigned((p.tokens + kRouteWarps - 1) / kRouteWarps);
  if (p.logits_f32) {
    moe_route_kernel<float><<<blocks, kRouteWarps * 32, 0, stream>>>(static_cast<const float*>(p.logits), p.tokens,
                                                                      p.num_experts, p.top_k, p.renormalize, p.ids,
                                                                      p.weights);
  } else {
    moe_route_kernel<bf16><<<blocks, kRouteWarps * 32, 0, stream>>>(static_cast<const bf16*>(p.logits), p.tokens,
                                                                     p.num_experts, p.top_k, p.renormalize, p.ids,
                                                                     p.weights);
  }
  TURBINE_CUDA_CHECK_LAUNCH();
}

void launch_moe_experts(const MoeExpertsParams& p, DeviceErrorSink errors, cudaStream_t stream) {
  if (p.tokens == 0) return;
  switch (p.weight_dtype) {
    case DType::kBF16: run_experts<bf16>(p, errors, stream); break;
    case DType::kF16: run_experts<__half>(p, errors, stream); break;
    case DType::kF32: run_experts<float>(p, errors, stream); break;
    default: TURBINE_LAUNCHER_REJECT("moe_experts", "expert weights of a storage dtype");
  }
}

void launch_add_sigmoid_scaled(void* x, const void* y, const void* gate, bool gate_f32, int64_t rows, int64_t cols,
                               cudaStream_t stream) {
  const int64_t count = rows * cols;
  if (count == 0) return;
  const unsigned blocks = unsigned(std::min<int64_t>((count + kThreads - 1) / kThreads, kMaxBlocks));
  auto* xb = static_cast<bf16*>(x);
  auto* yb = static_cast<const bf16*>(y);
  if (gate_f32) {
    add_sigmoid_scaled_kernel<true><<<blocks, kThreads, 0, stream>>>(xb, yb, gate, rows, cols);
  } else {
    add_sigmoid_scaled_kernel<false><<<blocks, kThreads, 0, stream>>>(xb, yb, gate, rows, cols);
  }
  TURBINE_CUDA_CHECK_LAUNCH();
}

}  // namespace turbine::cuda
