// CpuKernels: the table of inner loops, one table per instruction-set level.
//
// Each level's kernels live in their own translation units compiled with that level's flags
// (kernels_avx2.cc, linear_avx512.cc ...); everything else in the CPU backend is baseline x86-64
// and reaches them only through this table, filled once at backend construction after the CPU
// was checked. Rules for the ISA translation units, so that no wide instruction leaks into code
// a baseline CPU runs:
//  - no static initialisers, and the table-making function is called only on a capable CPU;
//  - no inline functions or templates with external linkage (no std::min, no <vector>, no fmt,
//    no TURBINE_CHECK, no helpers from common/dtype.h): the linker may keep their wide copy for
//    every caller. Helpers go in an anonymous namespace. Validation happens in the callers.
// The kernels take raw pointers and trust their arguments (the backend validated them).
#pragma once

#include <cstdint>

#include "common/cpu_features.h"
#include "common/dtype.h"

namespace turbine::cpu {

// out[0:m, n_begin:n_end] = x · W[n_begin:n_end]^T + bias, with x prepacked by linear_pack_row.
struct LinearArgs {
  const float* x_packed = nullptr;  // m rows, x_stride floats apart
  int64_t x_stride = 0;
  int64_t m = 0;
  int64_t k = 0;
  const void* w = nullptr;  // [n, k] row-major, w_dtype
  DType w_dtype = DType::kF32;
  const float* bias = nullptr;  // [n] or null
  float* out = nullptr;         // m rows, out_stride floats apart
  int64_t out_stride = 0;
};

// One (token, KV head) step of online softmax over `count` cached tokens, for the
// `num_q_heads` query heads that share the KV head. State (running max, running sum of
// exponentials, unnormalised output) carries across calls; start with max = -inf, sum = 0,
// acc = 0. Keys and values come as one pointer per token (the KV head's head_dim floats), so a
// tile can span blocks that are not adjacent in the cache, and the per-tile bookkeeping
// (maxima, rescaling) is paid once per tile rather than once per block.
struct AttentionTile {
  const float* q = nullptr;  // num_q_heads rows of head_dim, consecutive
  int num_q_heads = 0;
  int head_dim = 0;
  float scale = 0.0f;
  float softcap = 0.0f;  // > 0: each scaled score s becomes softcap * tanh(s / softcap); 0: off
  const float* const* k_rows = nullptr;  // [count]
  const float* const* v_rows = nullptr;  // [count]
  int count = 0;
};

struct AttentionState {
  float* max = nullptr;    // [num_q_heads]
  float* sum = nullptr;    // [num_q_heads]
  float* acc = nullptr;    // [num_q_heads, head_dim]
  float* scores = nullptr; // scratch, [count rounded up to 16]
};

// A plain aggregate (no member initialisers) so that filling one emits no out-of-line code.
struct CpuKernels {
  const char* name;

  // Linear. The driver packs each x row into linear_packed_floats(k) floats (zero padded) with
  // linear_pack_row, then calls linear over disjoint ranges of output columns.
  int64_t (*linear_packed_floats)(int64_t k);
  void (*linear_pack_row)(const float* x, int64_t k, DType w_dtype, float* packed);
  void (*linear)(const LinearArgs& args, int64_t n_begin, int64_t n_end);

  // dst[i] = float(src[i]).
  void (*convert_to_f32)(const void* src, DType src_dtype, float* dst, int64_t n);

  // One row: out = x * (1 / sqrt(mean(x^2) + eps)) * w. out may alias x.
  void (*rms_norm)(const float* x, const float* w, float eps, float* out, int64_t n);
  // One row: residual += x, then out = rms_norm(residual). out may alias x or residual.
  void (*add_rms_norm)(float* residual, const float* x, const float* w, float eps, float* out, int64_t n);
  // One row: out = (x - mean) / sqrt(var + eps) * w + b (LayerNorm; b may be null: no bias). The
  // mean and variance are two passes with double sums, and x - mean uses the mean as a float pair,
  // so a large mean with a small spread stays accurate. out may alias x.
  void (*layer_norm)(const float* x, const float* w, const float* b, float eps, float* out, int64_t n);
  // out = silu(gate) * up; out may alias gate or up.
  void (*silu_mul)(const float* gate, const float* up, float* out, int64_t n);
  // x = gelu(x), the exact (erf) form, in place.
  void (*gelu)(float* x, int64_t n);
  // out = gelu_tanh(gate) * up (backend.h); out may alias gate or up.
  void (*gelu_tanh_mul)(const float* gate, const float* up, float* out, int64_t n);
  // x += y.
  void (*add)(float* x, const float* y, int64_t n);
  // x = cap * tanh(x / cap), cap > 0.
  void (*softcap)(float* x, float cap, int64_t n);
  // One token row of num_heads heads, rotate-half layout over the first rotary_dim elements of
  // each head (even, <= head_dim; cos_sin holds rotary_dim floats); the rest are not touched
  // (see backend.h).
  void (*rope)(float* x, const float* cos_sin, int64_t num_heads, int64_t head_dim, int64_t rotary_dim);

  void (*attention_tile)(const AttentionTile& tile, const AttentionState& state);
};

// Kernels every level shares (kernels_scalar.cc, baseline code: safe to put in any table).
// gelu_erf: the exact GELU per element through the double-precision erfc, rounded once.
void gelu_erf(float* x, int64_t n);

// Kernel tables. Call avx2_kernels() / avx512_kernels() only when the CPU supports the level.
// use_bf16_dot: let BF16 weights use vdpbf16ps (needs AVX512_BF16).
CpuKernels scalar_kernels();
CpuKernels avx2_kernels();
CpuKernels avx512_kernels(bool use_bf16_dot);

}  // namespace turbine::cpu
