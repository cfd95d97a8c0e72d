// Elementwise ops: SiLU- and GELU(tanh)-and-multiply of the gated MLPs, the exact GELU of the
// plain MLPs (GPT-NeoX, Falcon), the residual add, and the in-place scale and soft-cap (Gemma's
// embedding scale and final-logit cap).
//
// Pure streaming: each element is read once and written once, so the only things that matter are
// 16-byte accesses (8 BF16, or 4 F32 for the F32 logits, per thread per step, used when the count
// is a multiple of 8 (4) and every pointer is 16-byte aligned; element-wise otherwise) and enough blocks in flight, with a
// grid-stride loop so any size works with a bounded grid. Every thread writes only the elements it
// read, so in-place use (out == gate) needs no barrier.
#include <algorithm>
#include <type_traits>

#include "backend/cuda/common/bf16_io.cuh"
#include "backend/cuda/common/cuda_check.h"
#include "backend/cuda/elementwise/elementwise.h"

namespace turbine::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 8192;

struct Silu {
  __device__ __forceinline__ float operator()(float g) const { return g / (1.0f + expf(-g)); }
};

// GELU with the tanh approximation, 0.5 g (1 + tanh(u)) with u = sqrt(2/pi) (g + 0.044715 g^3),
// evaluated as the equal g / (1 + e^(-2u)) (1 + tanh(u) = 2 / (1 + e^(-2u))): silu's form, and no
// cancellation where tanh(u) nears -1 (g below about -4), so small negative outputs keep their
// relative precision. Overflow is benign: e^(-2u) = inf gives -0, = 0 gives g.
struct GeluTanh {
  __device__ __forceinline__ float operator()(float g) const {
    constexpr float kA = -1.5957691216057308f;   // -2 sqrt(2 / pi)
    constexpr float kB = -0.07135481627260025f;  // -2 sqrt(2 / pi) * 0.044715
    return g / (1.0f + expf(g * fmaf(kB, g * g, kA)));
  }
};

// out = act(gate) * up; V elements per step. Act is Silu or GeluTanh.
template <typename Act, int V>
__global__ void gated_mul_kernel(const bf16* gate, const bf16* up, bf16* out, int64_t count) {
  const int64_t units = count / V;
  for (int64_t u = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; u < units; u += int64_t(gridDim.x) * blockDim.x) {
    float g[V], x[V];
    load_bf16<V>(gate + u * V, g);
    load_bf16<V>(up + u * V, x);
#pragma unroll
    for (int i = 0; i < V; ++i) g[i] = Act{}(g[i]) * x[i];
    store_bf16<V>(out + u * V, g);
  }
}

// gate_up rows are [gate (n) | up (n)]; V elements per step, n % V == 0.
template <typename Act, int V>
__global__ void gated_mul_fused_kernel(const bf16* gate_up, bf16* out, int64_t rows, int64_t n) {
  const int64_t per_row = n / V, units = rows * per_row;
  for (int64_t u = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; u < units; u += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = u / per_row, c = (u - r * per_row) * V;
    float g[V], x[V];
    load_bf16<V>(gate_up + r * 2 * n + c, g);
    load_bf16<V>(gate_up + r * 2 * n + n + c, x);
#pragma unroll
    for (int i = 0; i < V; ++i) g[i] = Act{}(g[i]) * x[i];
    store_bf16<V>(out + r * n + c, g);
  }
}

// V consecutive F32 values; V = 4 is one 16-byte access (p 16-byte aligned).
template <int V>
__device__ __forceinline__ void load_f32(const float* p, float (&f)[V]) {
  if constexpr (V == 4) {
    const float4 v = *reinterpret_cast<const float4*>(p);
    f[0] = v.x, f[1] = v.y, f[2] = v.z, f[3] = v.w;
  } else {
#pragma unroll
    for (int i = 0; i < V; ++i) f[i] = p[i];
  }
}

template <int V>
__device__ __forceinline__ void store_f32(float* p, const float (&f)[V]) {
  if constexpr (V == 4) {
    *reinterpret_cast<float4*>(p) = make_float4(f[0], f[1], f[2], f[3]);
  } else {
#pragma unroll
    for (int i = 0; i < V; ++i) p[i] = f[i];
  }
}

// The exact GELU, 0.5 x (1 + erf(x / sqrt 2)), as 0.5 x erfc(-x / sqrt 2): erff would cancel in
// 1 + erf for x below about -3 (at x = -5, 1 + erf is 6e-7, a few ulps of 1), erfcf keeps the
// relative precision (4 ulps) all the way to the underflow. The argument's rounding costs
// 2 y^2 times its half ulp (y = |x| / sqrt 2), about 6e-6 relative at x = -10: far below a BF16 ulp.
struct GeluOp {
  __device__ __forceinline__ float operator()(float x) const { return 0.5f * x * erfcf(x * -0.70710678118654752f); }
};

struct ScaleOp {
  float s;
  __device__ __forceinline__ float operator()(float x) const { return x * s; }
};

struct SoftcapOp {
  float cap;
  __device__ __forceinline__ float operator()(float x) const { return cap * tanhf(x / cap); }
};

// x = op(x) in place, T = bf16 or float, V elements per step.
template <typename T, int V, typename Op>
__global__ void unary_kernel(T* x, int64_t count, Op op) {
  const int64_t units = count / V;
  for (int64_t u = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; u < units; u += int64_t(gridDim.x) * blockDim.x) {
    float a[V];
    if constexpr (std::is_same_v<T, float>) {
      load_f32<V>(x + u * V, a);
    } else {
      load_bf16<V>(x + u * V, a);
    }
#pragma unroll
    for (int i = 0; i < V; ++i) a[i] = op(a[i]);
    if constexpr (std::is_same_v<T, float>) {
      store_f32<V>(x + u * V, a);
    } else {
      store_bf16<V>(x + u * V, a);
    }
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

// op over `count` elements of BF16 (`f32` false) or F32 in place: 16-byte steps when aligned and
// whole, element-wise otherwise.
template <typename Op>
void launch_unary(void* x, bool f32, int64_t count, Op op, cudaStream_t stream) {
  if (count == 0) return;
  if (f32) {
    auto* p = static_cast<float*>(x);
    if (count % 4 == 0 && is_aligned(p, 16)) {
      unary_kernel<float, 4><<<blocks_for(count / 4), kThreads, 0, stream>>>(p, count, op);
    } else {
      unary_kernel<float, 1><<<blocks_for(count), kThreads, 0, stream>>>(p, count, op);
    }
  } else {
    auto* p = static_cast<bf16*>(x);
    if (count % 8 == 0 && is_aligned(p, 16)) {
      unary_kernel<bf16, 8><<<blocks_for(count / 8), kThreads, 0, stream>>>(p, count, op);
    } else {
      unary_kernel<bf16, 1><<<blocks_for(count), kThreads, 0, stream>>>(p, count, op);
    }
  }
  TURBINE_CUDA_CHECK_LAUNCH();
}

template <typename Act>
void launch_gated_mul(const void* gate, const void* up, void* out, int64_t count, cudaStream_t stream) {
  if (count == 0) return;
  auto* g = static_cast<const bf16*>(gate);
  auto* u = static_cast<const bf16*>(up);
  auto* o = static_cast<bf16*>(out);
  if (count % 8 == 0 && is_aligned(g, 16) && is_aligned(u, 16) && is_aligned(o, 16)) {
    gated_mul_kernel<Act, 8><<<blocks_for(count / 8), kThreads, 0, stream>>>(g, u, o, count);
  } else {
    gated_mul_kernel<Act, 1><<<blocks_for(count), kThreads, 0, stream>>>(g, u, o, count);
  }
  TURBINE_CUDA_CHECK_LAUNCH();
}

template <typename Act>
void launch_gated_mul_fused(const void* gate_up, void* out, int64_t rows, int64_t n, cudaStream_t stream) {
  if (rows == 0 || n == 0) return;
  auto* g = static_cast<const bf16*>(gate_up);
  auto* o = static_cast<bf16*>(out);
  if (n % 8 == 0 && is_aligned(g, 16) && is_aligned(o, 16)) {
    gated_mul_fused_kernel<Act, 8><<<blocks_for(rows * n / 8), kThreads, 0, stream>>>(g, o, rows, n);
  } else {
    gated_mul_fused_kernel<Act, 1><<<blocks_for(rows * n), kThreads, 0, stream>>>(g, o, rows, n);
  }
  TURBINE_CUDA_CHECK_LAUNCH();
}

}  // namespace

void launch_silu_mul(const void* gate, const void* up, void* out, int64_t count, cudaStream_t stream) {
  launch_gated_mul<Silu>(gate, up, out, count, stream);
}

void launch_silu_mul_fused(const void* gate_up, void* out, int64_t rows, int64_t n, cudaStream_t stream) {
  launch_gated_mul_fused<Silu>(gate_up, out, rows, n, stream);
}

void launch_gelu_tanh_mul(const void* gate, const void* up, void* out, int64_t count, cudaStream_t stream) {
  launch_gated_mul<GeluTanh>(gate, up, out, count, stream);
}

void launch_gelu_tanh_mul_fused(const void* gate_up, void* out, int64_t rows, int64_t n, cudaStream_t stream) {
  launch_gated_mul_fused<GeluTanh>(gate_up, out, rows, n, stream);
}

void launch_gelu(void* x, int64_t count, cudaStream_t stream) { launch_unary(x, false, count, GeluOp{}, stream); }

void launch_scale(void* x, bool f32, float s, int64_t count, cudaStream_t stream) {
  launch_unary(x, f32, count, ScaleOp{s}, stream);
}

void launch_softcap(void* x, bool f32, float cap, int64_t count, cudaStream_t stream) {
  launch_unary(x, f32, count, SoftcapOp{cap}, stream);
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
