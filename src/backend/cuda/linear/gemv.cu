// Skinny GEMM for decode: out[m, n] = x[m, k] * weight[n, k]^T (+ bias) with m <= 16 rows of x.
//
// At decode batch sizes a linear layer is a read of its weight: at m = 8 the 2 * m FLOPs per
// weight element are 8 FLOP per byte, against the ~200 FLOP per byte at which an H200 stops being
// memory-bound. The whole game is streaming n * k * 2 bytes at the copy bandwidth; cuBLASLt,
// built for large m, reaches 29% of it at 4096 -> 1024 and 64% at 4096 -> 4096 (H200, m = 1).
// So this kernel is shaped around the read, and the arithmetic is made as cheap as possible so it
// never gets in the way:
//
// - Tensor cores do the arithmetic, on raw BF16 with no conversion instructions. One warp owns
//   16 weight rows: mma.sync m16n8k16 takes them as the 16 x 16 A operand and up to 8 tokens of x
//   as the 16 x 8 B operand (16 tokens: two B tiles), accumulating in F32. At m = 1 seven eighths
//   of the MMA is wasted, which costs nothing: 2 MMAs per kilobyte of weight is far below the
//   tensor cores' rate, whereas CUDA-core FMAs plus BF16 widening would need ~1 instruction per
//   weight byte at m = 8 and could not keep up at m = 16.
// - The loads are 16 bytes wide and map onto the MMA fragments directly. A dot product does not
//   care in which order k is summed, so the k-order inside a 32-element block is permuted: lane
//   (g = lane / 4, t = lane % 4) loads elements [8t, 8t + 8) of rows g and g + 8 and of token g,
//   and those 8 elements are the logical k {2t, 2t+1, 2t+8, 2t+9} of one m16n8k16 and the same
//   of a second one. One 16-byte load instruction of the warp reads 64 contiguous bytes (two full
//   32-byte sectors) of each of 8 rows; `unroll` consecutive blocks make that 64 * unroll bytes
//   per row, and every lane has 2 * unroll weight loads in flight before its first MMA (plus the
//   other resident warps': Little's law wants ~40 KB in flight per SM at 4.8 TB/s). Weight loads
//   are ld.global.nc.L1::no_allocate (read once, keep L1 for x), optionally with an L2 256-byte
//   prefetch hint; x is small, shared by every CTA, and read through L1.
// - Parallelism comes from n and, for short n, from k: a CTA owns 16 rows and its `warps` warps
//   take interleaved 32 * unroll-element steps of k (so the CTA sweeps each row front to back),
//   then add their partial sums through shared memory. No split across CTAs, so no workspace, no
//   atomics, and the result is deterministic. n = 1024 still gives only 64 CTAs; with 16 warps
//   each they have the whole 8 MB weight in flight at once, which is what such a small layer
//   needs (its time is mostly latency anyway).
// - Ragged edges: rows past n are clamped to row n - 1 for the loads (always in bounds, results
//   dropped at the store); tokens past m read token m - 1 (their result columns are dropped); k
//   that is not a multiple of 32 * unroll ends with one predicated step (k % 8 == 0, so a 16-byte
//   chunk is all in or all out).
// - The epilogue adds the bias in F32 and rounds once to BF16 (or stores F32): one rounding,
//   fewer than the cuBLASLt path's BF16 GEMM + separate bias add.
//
// Measured (H200, weights not in L2, src/backend/cuda/README.md): 88-103% of the device-to-device
// copy bandwidth from 112 MB of weight up, 45-84% below, where a fixed ~3 us a call (launch, the
// first DRAM round trip, the drain) dominates; 1.1-1.6x cuBLASLt on the small layers, even on the
// large ones. At m = 16 the second token tile doubles the x traffic and registers and cuBLASLt is
// faster on the large layers, so the backend sends only m <= 8 here (cublaslt_linear.cc).
#include <algorithm>
#include <array>

#include "backend/cuda/common/bf16_io.cuh"
#include "backend/cuda/common/cuda_check.h"
#include "backend/cuda/linear/gemv.h"

namespace turbine::cuda {
namespace {

constexpr int kRowsPerCta = 16;

struct GemvParams {
  const bf16* x;
  const bf16* w;
  const void* bias;
  void* out;
  int m, n, k;
  int bias_kind;  // 0: none, 1: F32, 2: BF16, 3: F16
  bool out_f32;
};

// A weight chunk: read once, so it bypasses L1; optionally asks L2 for the whole 256-byte line.
template <bool kL2Prefetch>
__device__ __forceinline__ uint4 load_weight(const bf16* p) {
  uint4 v;
  if constexpr (kL2Prefetch) {
    asm("ld.global.nc.L1::no_allocate.L2::256B.v4.u32 {%0, %1, %2, %3}, [%4];"
        : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
        : "l"(p));
  } else {
    asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
        : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
        : "l"(p));
  }
  return v;
}

// An x chunk: re-read by every CTA, so it goes through L1.
__device__ __forceinline__ uint4 load_x(const bf16* p) { return *reinterpret_cast<const uint4*>(p); }

// c += A * B, A 16 x 16 BF16 (row-major fragment a0..a3), B 16 x 8 BF16 (b0, b1), c 16 x 8 F32.
__device__ __forceinline__ void mma_bf16_16816(float (&c)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                                               uint32_t b0, uint32_t b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

// One loop step of a warp: `kU` 32-element k-blocks starting at element k0 of its rows. lo/hi are
// rows g and g + 8 of the CTA's tile at element 8t, xs[nt] token g + 8 nt at element 8t (a token
// past m reads token m - 1 instead: its column of the MMA result is never stored, so no select or
// branch is needed, and the loads stay one straight run the compiler can issue back to back).
// kPredicated: the last, partial step; a chunk at or past k (32j >= k_left) reads the start of
// its row instead (in bounds: k >= 8) and is then zeroed.
template <int kNT, int kU, bool kL2Prefetch, bool kPredicated>
__device__ __forceinline__ void gemv_step(float (&acc)[kNT][4], const bf16* lo, const bf16* hi,
                                          const bf16* const (&xs)[kNT], int k0, int k_left, int lane_offset) {
  uint4 wl[kU], wh[kU], xv[kNT][kU];
#pragma unroll
  for (int j = 0; j < kU; ++j) {
    const int at = kPredicated && 32 * j >= k_left ? -lane_offset : k0 + 32 * j;
    wl[j] = load_weight<kL2Prefetch>(lo + at);
    wh[j] = load_weight<kL2Prefetch>(hi + at);
#pragma unroll
    for (int nt = 0; nt < kNT; ++nt) xv[nt][j] = load_x(xs[nt] + at);
  }
  if constexpr (kPredicated) {
#pragma unroll
    for (int j = 0; j < kU; ++j) {
      if (32 * j >= k_left) {
        wl[j] = wh[j] = make_uint4(0, 0, 0, 0);
#pragma unroll
        for (int nt = 0; nt < kNT; ++nt) xv[nt][j] = make_uint4(0, 0, 0, 0);
      }
    }
  }
#pragma unroll
  for (int j = 0; j < kU; ++j) {
#pragma unroll
    for (int nt = 0; nt < kNT; ++nt) {
      mma_bf16_16816(acc[nt], wl[j].x, wh[j].x, wl[j].y, wh[j].y, xv[nt][j].x, xv[nt][j].y);
      mma_bf16_16816(acc[nt], wl[j].z, wh[j].z, wl[j].w, wh[j].w, xv[nt][j].z, xv[nt][j].w);
    }
  }
}

template <int kNT, int kU, int kW, bool kL2Prefetch>
__global__ void __launch_bounds__(kW * 32) gemv_kernel(const GemvParams p) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, t = lane & 3;
  const int64_t row0 = int64_t(blockIdx.x) * kRowsPerCta;
  const int64_t k = p.k;
  // Rows past n read row n - 1 (in bounds; never stored).
  const int64_t last = p.n - 1;
  const bf16* lo = p.w + (row0 + g < last ? row0 + g : last) * k + 8 * t;
  const bf16* hi = p.w + (row0 + g + 8 < last ? row0 + g + 8 : last) * k + 8 * t;
  const bf16* xs[kNT];
#pragma unroll
  for (int nt = 0; nt < kNT; ++nt) xs[nt] = p.x + int64_t(min(g + 8 * nt, p.m - 1)) * k + 8 * t;

  float acc[kNT][4] = {};
  constexpr int kStep = 32 * kU;
  const int full_steps = p.k / kStep;
  for (int s = warp; s < full_steps; s += kW) gemv_step<kNT, kU, kL2Prefetch, false>(acc, lo, hi, xs, s * kStep, 0, 0);
  if (p.k % kStep != 0 && warp == full_steps % kW) {
    // Lane chunks start at 8t past each 32-element block: chunk j is in range when 32j + 8t < k_left.
    const int k0 = full_steps * kStep;
    gemv_step<kNT, kU, kL2Prefetch, true>(acc, lo, hi, xs, k0, p.k - k0 - 8 * t, 8 * t);
  }

  // Partial sums of the kW warps -> shared memory -> one thread per (row, token) adds them up.
  // Fragment layout of c (m16n8): c0, c1 = (row g, tokens 2t, 2t+1), c2, c3 = (row g + 8, same).
  __shared__ float4 partial[kW][kNT][32];
#pragma unroll
  for (int nt = 0; nt < kNT; ++nt) partial[warp][nt][lane] = make_float4(acc[nt][0], acc[nt][1], acc[nt][2], acc[nt][3]);
  __syncthreads();
  for (int o = threadIdx.x; o < kRowsPerCta * 8 * kNT; o += kW * 32) {
    const int r = o % kRowsPerCta, token = o / kRowsPerCta;  // neighbouring threads: neighbouring columns
    const int64_t col = row0 + r;
    if (token >= p.m || col >= p.n) continue;
    const int nt = token >> 3, tt = token & 7;
    const int src_lane = (r & 7) * 4 + (tt >> 1), idx = (r >> 3) * 2 + (tt & 1);
    float sum = 0.0f;
#pragma unroll
    for (int wi = 0; wi < kW; ++wi) sum += reinterpret_cast<const float*>(&partial[wi][nt][src_lane])[idx];
    switch (p.bias_kind) {
      case 1: sum += static_cast<const float*>(p.bias)[col]; break;
      case 2: sum += to_f32(static_cast<const bf16*>(p.bias)[col]); break;
      case 3: sum += to_f32(static_cast<const __half*>(p.bias)[col]); break;
      default: break;
    }
    const int64_t at = int64_t(token) * p.n + col;
    if (p.out_f32) {
      static_cast<float*>(p.out)[at] = sum;
    } else {
      static_cast<bf16*>(p.out)[at] = __float2bfloat16_rn(sum);
    }
  }
}

using KernelFn = void (*)(GemvParams);

struct Variant {
  GemvConfig config;
  KernelFn kernel[2];  // by token tiles - 1
};

template <int kU, int kW, bool kPf>
constexpr Variant variant() {
  return {{kU, kW, kPf}, {&gemv_kernel<1, kU, kW, kPf>, &gemv_kernel<2, kU, kW, kPf>}};
}

constexpr std::array kVariants = {
    variant<4, 4, true>(),  variant<4, 8, true>(),  variant<4, 16, true>(),  variant<8, 4, true>(),
    variant<8, 8, true>(),  variant<8, 16, true>(), variant<4, 4, false>(),  variant<4, 8, false>(),
    variant<4, 16, false>(), variant<8, 4, false>(), variant<8, 8, false>(), variant<8, 16, false>(),
};

constexpr std::array<GemvConfig, kVariants.size()> config_list() {
  std::array<GemvConfig, kVariants.size()> list{};
  for (size_t i = 0; i < kVariants.size(); ++i) list[i] = kVariants[i].config;
  return list;
}
constexpr auto kConfigs = config_list();

const Variant* find_variant(const GemvConfig& c) {
  for (const Variant& v : kVariants) {
    if (v.config.unroll == c.unroll && v.config.warps == c.warps && v.config.l2_prefetch == c.l2_prefetch) return &v;
  }
  return nullptr;
}

int bias_kind(const Tensor* bias) {
  if (bias == nullptr) return 0;
  switch (bias->dtype) {
    case DType::kF32: return 1;
    case DType::kBF16: return 2;
    case DType::kF16: return 3;
    default: break;  // compute dtypes only: the op checks refuse storage dtypes
  }
  return 0;
}

}  // namespace

std::span<const GemvConfig> gemv_configs() { return kConfigs; }

GemvConfig gemv_default_config(int64_t m, int64_t n, int64_t k) {
  // The fastest configurations in bench_gemv on an H200 (weights cycled through 1 GB, graph
  // replay), by CTA count (n / 16): under 128 CTAs (kv 4096 -> 1024) 16 warps a CTA put the most
  // bytes in flight (4.4 us against 5.2 with 8 warps); 128 to 511 CTAs (4096 x 4096, qkv, down)
  // 8 warps (3 CTAs resident per SM); from 512 CTAs (up, gate_up, lm head) 16 warps again, which
  // were within 1% of the best there. The L2 256-byte hint helped by 0-3% except at < 128 CTAs.
  // Two token tiles (m > 8) hold twice the x registers; unroll 4 with 4 warps a CTA won on the
  // large layers there.
  const int64_t ctas = (n + kRowsPerCta - 1) / kRowsPerCta;
  if (m > 8) return ctas < 128 ? GemvConfig{8, 16, true} : ctas < 512 ? GemvConfig{8, 8, true} : GemvConfig{4, 4, true};
  if (ctas < 128) return {8, 16, false};
  return {8, ctas < 512 ? 8 : 16, true};
}

void launch_gemv(const Tensor& x, const Tensor& weight, const Tensor* bias, Tensor& out, cudaStream_t stream,
                 const GemvConfig* config) {
  const int64_t m = x.rows, n = weight.rows, k = x.cols;
  if (m == 0 || n == 0) return;
  if (m > kGemvMaxM) TURBINE_LAUNCHER_REJECT("gemv", "more than kGemvMaxM rows of x");
  if (k > INT32_MAX || n > INT32_MAX) TURBINE_LAUNCHER_REJECT("gemv", "n or k past 2^31");
  if (k % 8 != 0 || !is_aligned(x.data, 16) || !is_aligned(weight.data, 16) || !is_aligned(out.data, 16)) {
    TURBINE_LAUNCHER_REJECT("gemv", "k % 8 != 0 or an operand not 16-byte aligned");
  }
  if (out.dtype != DType::kBF16 && out.dtype != DType::kF32) TURBINE_LAUNCHER_REJECT("gemv", "F16 output");
  const GemvConfig chosen = config ? *config : gemv_default_config(m, n, k);
  const Variant* v = find_variant(chosen);
  if (v == nullptr) TURBINE_LAUNCHER_REJECT("gemv", "a configuration that is not compiled in");
  const GemvParams p{x.as<const bf16>(), weight.as<const bf16>(), bias ? bias->data : nullptr, out.data,
                     int(m),         int(n),                  int(k),                      bias_kind(bias),
                     out.dtype == DType::kF32};
  const unsigned blocks = unsigned((n + kRowsPerCta - 1) / kRowsPerCta);
  v->kernel[m > 8 ? 1 : 0]<<<blocks, v->config.warps * 32, 0, stream>>>(p);
  TURBINE_CUDA_CHECK_LAUNCH();
}

}  // namespace turbine::cuda
