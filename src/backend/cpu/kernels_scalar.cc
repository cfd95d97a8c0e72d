// Portable kernels for CPUs without AVX2 (and the baseline every other level is tested against
// in spirit). Plain loops in f32; x is used as is, so packing is a copy.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "backend/cpu/cpu_kernels.h"

namespace turbine::cpu {
namespace {

float weight_at(const void* w, DType dtype, int64_t index) {
  switch (dtype) {
    case DType::kF32: return static_cast<const float*>(w)[index];
    case DType::kBF16: return bf16_to_f32(static_cast<const uint16_t*>(w)[index]);
    case DType::kF16: return f16_to_f32(static_cast<const uint16_t*>(w)[index]);
    default: break;  // compute dtypes only: the op checks refuse storage dtypes
  }
  return 0.0f;
}

int64_t packed_floats(int64_t k) { return k; }

void pack_row(const float* x, int64_t k, DType, float* packed) { std::memcpy(packed, x, size_t(k) * sizeof(float)); }

// One dot product with four partial sums (independent chains, so it pipelines).
template <typename Load>
float dot(const float* x, int64_t k, Load w) {
  float s[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= k; i += 4) {
    for (int t = 0; t < 4; ++t) s[t] += x[i + t] * w(i + t);
  }
  for (; i < k; ++i) s[0] += x[i] * w(i);
  return (s[0] + s[1]) + (s[2] + s[3]);
}

void linear(const LinearArgs& a, int64_t n_begin, int64_t n_end) {
  for (int64_t j = n_begin; j < n_end; ++j) {
    const float bias = a.bias ? a.bias[j] : 0.0f;
    for (int64_t i = 0; i < a.m; ++i) {
      const float* x = a.x_packed + i * a.x_stride;
      float sum = 0.0f;
      switch (a.w_dtype) {
        case DType::kF32: {
          const float* w = static_cast<const float*>(a.w) + j * a.k;
          sum = dot(x, a.k, [w](int64_t t) { return w[t]; });
          break;
        }
        case DType::kBF16: {
          const uint16_t* w = static_cast<const uint16_t*>(a.w) + j * a.k;
          sum = dot(x, a.k, [w](int64_t t) { return bf16_to_f32(w[t]); });
          break;
        }
        case DType::kF16: {
          const uint16_t* w = static_cast<const uint16_t*>(a.w) + j * a.k;
          sum = dot(x, a.k, [w](int64_t t) { return f16_to_f32(w[t]); });
          break;
        }
        default: break;  // compute dtypes only: the op checks refuse storage dtypes
      }
      a.out[i * a.out_stride + j] = sum + bias;
    }
  }
}

void convert_to_f32(const void* src, DType dtype, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = weight_at(src, dtype, i);
}

void rms_norm(const float* x, const float* w, float eps, float* out, int64_t n) {
  double sum = 0.0;  // a sequential f32 sum would lose ~sqrt(n) ulps
  for (int64_t i = 0; i < n; ++i) sum += double(x[i]) * x[i];
  const float r = 1.0f / std::sqrt(float(sum / double(n)) + eps);
  for (int64_t i = 0; i < n; ++i) out[i] = (x[i] * r) * w[i];
}

void add(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void add_rms_norm(float* residual, const float* x, const float* w, float eps, float* out, int64_t n) {
  add(residual, x, n);
  rms_norm(residual, w, eps, out, n);
}

void layer_norm(const float* x, const float* w, const float* b, float eps, float* out, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  const double mean = sum / double(n);
  double sq = 0.0;
  for (int64_t i = 0; i < n; ++i) sq += (x[i] - mean) * (x[i] - mean);
  const float r = float(1.0 / std::sqrt(sq / double(n) + eps));
  // x - mean with the mean as a float pair: x - hi is exact when x is near the mean (Sterbenz),
  // so a mean of 1e4 with a spread of 1e-2 keeps every bit of the deviation.
  const float hi = float(mean), lo = float(mean - double(hi));
  for (int64_t i = 0; i < n; ++i) {
    const float y = (((x[i] - hi) - lo) * r) * w[i];
    out[i] = b != nullptr ? y + b[i] : y;
  }
}

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

// gelu_tanh(g) = 0.5 g (1 + tanh(u)) = g / (1 + e^z) with z = -2u = g (kGeluA + kGeluB g^2): no
// cancellation where tanh(u) nears -1, and one exp like silu. e^z turns z's rounding error into |z|
// times as much relative error (|z| reaches 87 at g = -10), so z and e^z are computed in double.
constexpr double kGeluA = -1.5957691216057308;   // -2 sqrt(2 / pi)
constexpr double kGeluB = -0.07135481627260025;  // -2 sqrt(2 / pi) * 0.044715

void gelu_tanh_mul(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double g = gate[i];
    out[i] = float(g / (1.0 + std::exp(g * (kGeluA + kGeluB * (g * g))))) * up[i];
  }
}

void softcap(float* x, float cap, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = cap * std::tanh(x[i] / cap);
}

void rope(float* x, const float* cos_sin, int64_t num_heads, int64_t head_dim, int64_t rotary_dim) {
  const int64_t half = rotary_dim / 2;
  for (int64_t h = 0; h < num_heads; ++h) {
    float* x1 = x + h * head_dim;
    float* x2 = x1 + half;
    for (int64_t i = 0; i < half; ++i) {
      const float a = x1[i], b = x2[i], c = cos_sin[i], s = cos_sin[half + i];
      x1[i] = a * c - b * s;
      x2[i] = b * c + a * s;
    }
  }
}

void attention_tile(const AttentionTile& t, const AttentionState& st) {
  const int d = t.head_dim;
  for (int h = 0; h < t.num_q_heads; ++h) {
    const float* q = t.q + int64_t(h) * d;
    float tile_max = -INFINITY;
    for (int j = 0; j < t.count; ++j) {
      const float* k = t.k_rows[j];
      float s = 0.0f;
      for (int i = 0; i < d; ++i) s += q[i] * k[i];
      st.scores[j] = s * t.scale;
    }
    if (t.softcap > 0.0f) {
      const float inv_cap = 1.0f / t.softcap;
      for (int j = 0; j < t.count; ++j) st.scores[j] = t.softcap * std::tanh(st.scores[j] * inv_cap);
    }
    for (int j = 0; j < t.count; ++j) tile_max = std::max(tile_max, st.scores[j]);
    const float new_max = std::max(st.max[h], tile_max);
    const float alpha = st.max[h] == -INFINITY ? 0.0f : std::exp(st.max[h] - new_max);
    float sum = 0.0f;
    for (int j = 0; j < t.count; ++j) {
      st.scores[j] = std::exp(st.scores[j] - new_max);
      sum += st.scores[j];
    }
    st.max[h] = new_max;
    st.sum[h] = st.sum[h] * alpha + sum;
    float* acc = st.acc + int64_t(h) * d;
    for (int i = 0; i < d; ++i) acc[i] *= alpha;
    for (int j = 0; j < t.count; ++j) {
      const float* v = t.v_rows[j];
      for (int i = 0; i < d; ++i) acc[i] += st.scores[j] * v[i];
    }
  }
}

}  // namespace

void gelu_erf(float* x, int64_t n) {
  constexpr double kInvSqrt2 = 0.70710678118654752440;
  // 0.5 x (1 + erf(x / sqrt 2)) = 0.5 x erfc(-x / sqrt 2): no cancellation for negative x. In
  // double, so the argument's rounding (amplified 2 y^2 times by erfc's slope) stays far below
  // an f32 ulp: the result is the exact value rounded once, or within an ulp of it.
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i];
    x[i] = float(0.5 * v * __builtin_erfc(-v * kInvSqrt2));
  }
}

CpuKernels scalar_kernels() {
  CpuKernels k{};
  k.name = "scalar";
  k.linear_packed_floats = packed_floats;
  k.linear_pack_row = pack_row;
  k.linear = linear;
  k.convert_to_f32 = convert_to_f32;
  k.rms_norm = rms_norm;
  k.add_rms_norm = add_rms_norm;
  k.layer_norm = layer_norm;
  k.silu_mul = silu_mul;
  k.gelu = gelu_erf;
  k.gelu_tanh_mul = gelu_tanh_mul;
  k.add = add;
  k.softcap = softcap;
  k.rope = rope;
  k.attention_tile = attention_tile;
  return k;
}

}  // namespace turbine::cpu
