// Reference implementations of every Backend op: plain scalar loops over host memory, written
// to be obviously right rather than fast. Semantics are exactly those of backend.h; arguments are
// checked with the same checks as the CPU backend (op_checks.h). Accumulations, norms,
// exponentials and softmax run in double and round once when stored, so the results are the
// exact values to within f32 rounding: the CPU kernels are tested against them, and a GPU
// backend's conformance test can use them on copied-back data.
//
// Activations are F32; weights (embedding table, norm weights, linear weight and bias) may be
// F32, BF16 or F16.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "backend/backend.h"

namespace turbine::reference {

void embedding(const Tensor& table, const int32_t* ids, Tensor& out);
void rms_norm(const Tensor& x, const Tensor& weight, float eps, Tensor& out);
void add_rms_norm(Tensor& residual, const Tensor& x, const Tensor& weight, float eps, Tensor& out);
void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& out);
void linear(const Tensor& x, const Tensor& weight, const Tensor* bias, Tensor& out);
void rope(Tensor& x, int head_dim, const Tensor& cos_sin);
void silu_mul(const Tensor& gate, const Tensor& up, Tensor& out);
void gelu(Tensor& x);
void silu_mul_fused(const Tensor& gate_up, Tensor& out);
void gelu_tanh_mul(const Tensor& gate, const Tensor& up, Tensor& out);
void gelu_tanh_mul_fused(const Tensor& gate_up, Tensor& out);
void scale(Tensor& x, float s);
void softcap(Tensor& x, float cap);
void qkv_rope_write_kv(const Tensor& qkv, const Tensor& cos_sin, int num_heads, int num_kv_heads, int head_dim,
                       const QkHeadNorm& head_norm, const AttentionBatch& batch, KvCacheLayer& cache, Tensor& q);
void add(Tensor& x, const Tensor& y);
void write_kv(const Tensor& k, const Tensor& v, const AttentionBatch& batch, KvCacheLayer& cache);
void attention(const Tensor& q, const KvCacheLayer& cache, const AttentionBatch& batch, const AttentionShape& shape,
               Tensor& out);
void gather_rows(const Tensor& x, const int32_t* rows, Tensor& out);
void moe_route(const Tensor& router_logits, int top_k, bool renormalize, Tensor& ids, Tensor& weights);
void moe_experts(const Tensor& x, const Tensor& ids, const Tensor& weights, const MoeExpertWeights& experts,
                 Tensor& out);
void add_sigmoid_scaled(Tensor& x, const Tensor& y, const Tensor& gate);

// GELU with the tanh approximation, in double: 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3),
// evaluated as the equal x / (1 + e^(-2u)), which keeps full relative precision where 1 + tanh(u)
// cancels (x below about -5).
double gelu_tanh(double x);

// The exact GELU in double, 0.5 x (1 + erf(x / sqrt(2))), evaluated as the equal
// 0.5 x erfc(-x / sqrt(2)), which keeps full relative precision where 1 + erf cancels (x below
// about -3).
double gelu(double x);

// The routing order of moe_route: expert a comes before b when its logit is larger (softmax is
// monotonic, so this is the exact p's order), NaN counting as -inf, ties to the lower id.
inline bool moe_route_before(float logit_a, int a, float logit_b, int b) {
  constexpr float kLowest = -std::numeric_limits<float>::infinity();
  const float ka = std::isnan(logit_a) ? kLowest : logit_a, kb = std::isnan(logit_b) ? kLowest : logit_b;
  return ka > kb || (ka == kb && a < b);
}

// Element i (row-major) of a weight or activation tensor of any dtype, widened to double.
double element(const Tensor& t, int64_t i);

// sum_i |x[r, i] * w[c, i]| for linear's output (r, c): the natural scale of that output's
// rounding error, used by tests to set tolerances.
double linear_abs_sum(const Tensor& x, const Tensor& weight, int64_t r, int64_t c);

}  // namespace turbine::reference
