// AVX2 elementwise ops, row norms (RMSNorm, LayerNorm), RoPE and the attention tile: the AVX-512 versions
// (vector_ops_avx512.cc) with 8-lane vectors. AVX2 has no scalef, so exp builds 2^n by adding n
// to the exponent field of the polynomial's result, with explicit overflow and underflow.
#include <immintrin.h>

#include "backend/cpu/cpu_kernels.h"

namespace turbine::cpu {
namespace {

int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

__m256i lane_mask(int64_t count) {
  const int c = int(count < 0 ? 0 : count > 8 ? 8 : count);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(c), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

__m256 load(const float* p, int64_t count) {
  return count >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lane_mask(count));
}

void store(float* p, int64_t count, __m256 v) {
  if (count >= 8) {
    _mm256_storeu_ps(p, v);
  } else {
    _mm256_maskstore_ps(p, lane_mask(count), v);
  }
}

float reduce_add(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

float reduce_max(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// e^x for every lane: +inf above ln(FLT_MAX), 0 below ln(FLT_MIN) (denormal results flush to 0).
__m256 exp8(__m256 x) {
  const __m256 kHi = _mm256_set1_ps(88.72283f), kLo = _mm256_set1_ps(-87.33654f);
  const __m256 overflow = _mm256_cmp_ps(x, kHi, _CMP_GT_OQ);
  const __m256 underflow = _mm256_cmp_ps(x, kLo, _CMP_LT_OQ);
  const __m256 xc = _mm256_max_ps(_mm256_min_ps(x, kHi), kLo);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), xc);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.42860682030941723212e-6f), r);
  __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  // p is in [0.7, 1.42] and n in [-126, 128]; at n = 128, p < 1, so the result stays finite.
  const __m256i bits = _mm256_add_epi32(_mm256_castps_si256(p), _mm256_slli_epi32(_mm256_cvtps_epi32(n), 23));
  __m256 e = _mm256_castsi256_ps(bits);
  e = _mm256_blendv_ps(e, _mm256_set1_ps(__builtin_inff()), overflow);
  return _mm256_andnot_ps(underflow, e);
}

// tanh(x) for every lane, within ~2 ulp: for |x| < 0.625 an odd polynomial x + x^3 p(x^2), p
// fitted (Lawson-weighted least squares) to tanh's relative error, which it meets to < 0.1 ulp;
// above, 1 - 2 / (e^2|x| + 1), which is >= 0.55 there, so the subtraction cancels nothing. The
// sign is x's; NaN stays NaN.
__m256 tanh8(__m256 x) {
  const __m256 sign_bit = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
  const __m256 a = _mm256_andnot_ps(sign_bit, x);
  const __m256 e = exp8(_mm256_add_ps(a, a));
  const __m256 big = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
  const __m256 z = _mm256_mul_ps(a, a);
  __m256 p = _mm256_set1_ps(-0.005705051308928512f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(0.020639308613013888f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-0.05373986455192969f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(0.1333144571829312f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-0.33333282201250863f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(a, z), p, a);
  const __m256 t = _mm256_blendv_ps(big, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
  return _mm256_blendv_ps(_mm256_or_ps(t, _mm256_and_ps(x, sign_bit)), x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// ---- conversions and elementwise ---------------------------------------------------------------

void convert_to_f32(const void* src, DType dtype, float* dst, int64_t n) {
  int64_t i = 0;
  switch (dtype) {
    case DType::kF32: {
      const float* s = static_cast<const float*>(src);
      for (; i < n; i += 8) store(dst + i, n - i, load(s + i, n - i));
      return;
    }
    case DType::kBF16: {
      const uint16_t* s = static_cast<const uint16_t*>(src);
      for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
        _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)));
      }
      for (; i < n; ++i) {
        const uint32_t u = uint32_t(s[i]) << 16;
        __builtin_memcpy(dst + i, &u, 4);
      }
      return;
    }
    case DType::kF16: {
      const uint16_t* s = static_cast<const uint16_t*>(src);
      for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))));
      }
      if (i < n) {
        alignas(16) uint16_t tail[8] = {};
        for (int64_t t = 0; t < n - i; ++t) tail[t] = s[i + t];
        store(dst + i, n - i, _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(tail))));
      }
      return;
    }
    default: break;  // compute dtypes only: the op checks refuse storage dtypes
  }
}

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; i += 8) {
    const __m256 g = load(gate + i, n - i), u = load(up + i, n - i);
    const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
    store(out + i, n - i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), u));
  }
}

// gelu_tanh(g) = g / (1 + e^z) with z = -2 sqrt(2/pi) (g + 0.044715 g^3) = g (kA + kB g^2)
// (kernels_scalar.cc). e^z turns z's rounding error into |z| times as much relative error (|z|
// reaches 87 at g = -10), so z is carried as a float pair zh + zl (exact products by FMA, a
// two-sum, the constants split hi + lo) and e^(zh + zl) = e^zh (1 + zl): a few ulps in all. For
// |g| >= 10 the pair is not needed (and would overflow): the result is g, or below 2e-37 in
// magnitude.
__m256 gelu_tanh8(__m256 g) {
  const __m256 ka = _mm256_set1_ps(-1.5957691669464111f), ka_lo = _mm256_set1_ps(4.534068054340423e-08f);
  const __m256 kb = _mm256_set1_ps(-0.07135481387376785f), kb_lo = _mm256_set1_ps(-2.3988324659995897e-09f);
  const __m256 g2 = _mm256_mul_ps(g, g), g2_lo = _mm256_fmsub_ps(g, g, g2);
  const __m256 p = _mm256_mul_ps(kb, g2), p_lo = _mm256_fmsub_ps(kb, g2, p);
  const __m256 t = _mm256_add_ps(ka, p);  // two-sum: t + t_lo = ka + p exactly
  const __m256 pv = _mm256_sub_ps(t, ka);
  __m256 t_lo = _mm256_add_ps(_mm256_sub_ps(ka, _mm256_sub_ps(t, pv)), _mm256_sub_ps(p, pv));
  t_lo = _mm256_add_ps(t_lo, _mm256_add_ps(p_lo, _mm256_fmadd_ps(kb, g2_lo, _mm256_fmadd_ps(kb_lo, g2, ka_lo))));
  const __m256 zh = _mm256_mul_ps(g, t), zl = _mm256_fmadd_ps(g, t_lo, _mm256_fmsub_ps(g, t, zh));
  const __m256 eh = exp8(zh);
  const __m256 near = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), g), _mm256_set1_ps(10.0f), _CMP_LT_OQ);
  const __m256 e = _mm256_blendv_ps(eh, _mm256_fmadd_ps(eh, zl, eh), near);
  return _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

void gelu_tanh_mul(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; i += 8) {
    store(out + i, n - i, _mm256_mul_ps(gelu_tanh8(load(gate + i, n - i)), load(up + i, n - i)));
  }
}

void softcap(float* x, float cap, int64_t n) {
  const __m256 c = _mm256_set1_ps(cap);
  for (int64_t i = 0; i < n; i += 8) store(x + i, n - i, _mm256_mul_ps(c, tanh8(_mm256_div_ps(load(x + i, n - i), c))));
}

void add(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; i += 8) store(x + i, n - i, _mm256_add_ps(load(x + i, n - i), load(y + i, n - i)));
}

// ---- norms -----------------------------------------------------------------------------------

float sum_squares(const float* x, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
    s0 = _mm256_fmadd_ps(a, a, s0);
    s1 = _mm256_fmadd_ps(b, b, s1);
  }
  for (; i < n; i += 8) {
    const __m256 a = load(x + i, n - i);
    s0 = _mm256_fmadd_ps(a, a, s0);
  }
  return reduce_add(_mm256_add_ps(s0, s1));
}

void rms_norm(const float* x, const float* w, float eps, float* out, int64_t n) {
  const __m256 r = _mm256_set1_ps(1.0f / __builtin_sqrtf(sum_squares(x, n) / float(n) + eps));
  for (int64_t i = 0; i < n; i += 8) {
    store(out + i, n - i, _mm256_mul_ps(_mm256_mul_ps(load(x + i, n - i), r), load(w + i, n - i)));
  }
}

void add_rms_norm(float* residual, const float* x, const float* w, float eps, float* out, int64_t n) {
  add(residual, x, n);
  rms_norm(residual, w, eps, out, n);
}

double reduce_add_pd(__m256d v) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
  return _mm_cvtsd_f64(s);
}

// LayerNorm (cpu_kernels.h): the mean and the sum of squared deviations from it are summed in
// double (8 floats widen to two vectors of 4 doubles), so only the final scaling is f32.
void layer_norm(const float* x, const float* w, const float* b, float eps, float* out, int64_t n) {
  __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
  }
  double sum = reduce_add_pd(_mm256_add_pd(s0, s1));
  for (; i < n; ++i) sum += x[i];
  const double mean = sum / double(n);
  const __m256d m = _mm256_set1_pd(mean);
  s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
  for (i = 0; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), m);
    const __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), m);
    s0 = _mm256_fmadd_pd(d0, d0, s0);
    s1 = _mm256_fmadd_pd(d1, d1, s1);
  }
  double sq = reduce_add_pd(_mm256_add_pd(s0, s1));
  for (; i < n; ++i) sq += (x[i] - mean) * (x[i] - mean);
  const __m256 r = _mm256_set1_ps(float(1.0 / __builtin_sqrt(sq / double(n) + eps)));
  // x - mean with the mean as a float pair (hi exact against nearby x: Sterbenz).
  const float hi_s = float(mean);
  const __m256 hi = _mm256_set1_ps(hi_s), lo = _mm256_set1_ps(float(mean - double(hi_s)));
  for (i = 0; i < n; i += 8) {
    const int64_t c = n - i;
    const __m256 d = _mm256_sub_ps(_mm256_sub_ps(load(x + i, c), hi), lo);
    __m256 y = _mm256_mul_ps(_mm256_mul_ps(d, r), load(w + i, c));
    if (b != nullptr) y = _mm256_add_ps(y, load(b + i, c));
    store(out + i, c, y);
  }
}

// ---- RoPE ------------------------------------------------------------------------------------

void rope(float* x, const float* cos_sin, int64_t num_heads, int64_t head_dim, int64_t rotary_dim) {
  const int64_t half = rotary_dim / 2;
  for (int64_t h = 0; h < num_heads; ++h) {
    float* x1p = x + h * head_dim;
    float* x2p = x1p + half;
    for (int64_t i = 0; i < half; i += 8) {
      const int64_t c = half - i;
      const __m256 x1 = load(x1p + i, c), x2 = load(x2p + i, c);
      const __m256 co = load(cos_sin + i, c), si = load(cos_sin + half + i, c);
      store(x1p + i, c, _mm256_sub_ps(_mm256_mul_ps(x1, co), _mm256_mul_ps(x2, si)));
      store(x2p + i, c, _mm256_add_ps(_mm256_mul_ps(x2, co), _mm256_mul_ps(x1, si)));
    }
  }
}

// ---- attention -------------------------------------------------------------------------------

__m256 sum_lanes8(const __m256* v) {
  const __m256 s0123 = _mm256_hadd_ps(_mm256_hadd_ps(v[0], v[1]), _mm256_hadd_ps(v[2], v[3]));
  const __m256 s4567 = _mm256_hadd_ps(_mm256_hadd_ps(v[4], v[5]), _mm256_hadd_ps(v[6], v[7]));
  return _mm256_add_ps(_mm256_permute2f128_ps(s0123, s4567, 0x20), _mm256_permute2f128_ps(s0123, s4567, 0x31));
}

// scores[j] = scale * q · k_j for j < count (count <= 8); lanes >= count are -inf.
__m256 scores8(const float* q, const float* const* k_rows, int count, int head_dim, float scale) {
  __m256 dots[8];
  for (int j = 0; j < count; ++j) {
    const float* kj = k_rows[j];
    __m256 acc = _mm256_setzero_ps();
    for (int d = 0; d < head_dim; d += 8) acc = _mm256_fmadd_ps(load(q + d, head_dim - d), load(kj + d, head_dim - d), acc);
    dots[j] = acc;
  }
  for (int j = count; j < 8; ++j) dots[j] = _mm256_setzero_ps();
  const __m256 s = _mm256_mul_ps(sum_lanes8(dots), _mm256_set1_ps(scale));
  return _mm256_blendv_ps(_mm256_set1_ps(-__builtin_inff()), s, _mm256_castsi256_ps(lane_mask(count)));
}

// cap * tanh(s / cap) for the first `count` lanes (-inf beyond), tanh(x) = 1 - 2 / (e^2x + 1): at
// most ~1 ulp of 1 off in absolute terms, which the cap scales (the reference is exact).
__m256 softcap8(__m256 s, float cap, float inv_cap, int count) {
  const __m256 e = exp8(_mm256_mul_ps(s, _mm256_set1_ps(2.0f * inv_cap)));
  const __m256 tanh = _mm256_sub_ps(_mm256_set1_ps(1.0f),
                                    _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
  const __m256 capped = _mm256_mul_ps(tanh, _mm256_set1_ps(cap));
  return _mm256_blendv_ps(_mm256_set1_ps(-__builtin_inff()), capped, _mm256_castsi256_ps(lane_mask(count)));
}

constexpr int kSlabVectors = 8;

// acc[0:dims] = alpha * acc[0:dims] + sum_j p[j] * v_j[0:dims], NV = ceil(dims / 8) registers.
template <int NV>
void accumulate_values(const float* p, const float* const* v_rows, int64_t d0, int count, int dims, float alpha,
                       float* acc) {
  __m256i masks[NV];
  __m256 sums[NV];
  for (int i = 0; i < NV; ++i) {
    masks[i] = lane_mask(dims - 8 * i);
    sums[i] = _mm256_mul_ps(_mm256_maskload_ps(acc + 8 * i, masks[i]), _mm256_set1_ps(alpha));
  }
  for (int j = 0; j < count; ++j) {
    const __m256 pj = _mm256_set1_ps(p[j]);
    const float* vj = v_rows[j] + d0;
    for (int i = 0; i < NV; ++i) sums[i] = _mm256_fmadd_ps(pj, _mm256_maskload_ps(vj + 8 * i, masks[i]), sums[i]);
  }
  for (int i = 0; i < NV; ++i) _mm256_maskstore_ps(acc + 8 * i, masks[i], sums[i]);
}

void attention_tile(const AttentionTile& t, const AttentionState& st) {
  const int d = t.head_dim;
  float* scores = st.scores;  // reused per head
  for (int h = 0; h < t.num_q_heads; ++h) {
    const float* q = t.q + int64_t(h) * d;
    __m256 vmax = _mm256_set1_ps(-__builtin_inff());
    for (int j = 0; j < t.count; j += 8) {
      const int cnt = int(min64(8, t.count - j));
      __m256 s = scores8(q, t.k_rows + j, cnt, d, t.scale);
      if (t.softcap > 0.0f) s = softcap8(s, t.softcap, 1.0f / t.softcap, cnt);
      _mm256_storeu_ps(scores + j, s);
      vmax = _mm256_max_ps(vmax, s);
    }
    const float old_max = st.max[h];
    const float tile_max = reduce_max(vmax);
    const float new_max = tile_max > old_max ? tile_max : old_max;
    const float alpha =
        old_max == -__builtin_inff() ? 0.0f : _mm256_cvtss_f32(exp8(_mm256_set1_ps(old_max - new_max)));
    __m256 vsum = _mm256_setzero_ps();
    for (int j = 0; j < t.count; j += 8) {
      const __m256 p = _mm256_and_ps(exp8(_mm256_sub_ps(_mm256_loadu_ps(scores + j), _mm256_set1_ps(new_max))),
                                     _mm256_castsi256_ps(lane_mask(t.count - j)));
      _mm256_storeu_ps(scores + j, p);
      vsum = _mm256_add_ps(vsum, p);
    }
    st.max[h] = new_max;
    st.sum[h] = st.sum[h] * alpha + reduce_add(vsum);
    for (int d0 = 0; d0 < d; d0 += 8 * kSlabVectors) {
      float* acc = st.acc + int64_t(h) * d + d0;
      const int dims = int(min64(8 * kSlabVectors, d - d0));
      switch ((dims + 7) / 8) {
        case 1: accumulate_values<1>(scores, t.v_rows, d0, t.count, dims, alpha, acc); break;
        case 2: accumulate_values<2>(scores, t.v_rows, d0, t.count, dims, alpha, acc); break;
        case 3: accumulate_values<3>(scores, t.v_rows, d0, t.count, dims, alpha, acc); break;
        case 4: accumulate_values<4>(scores, t.v_rows, d0, t.count, dims, alpha, acc); break;
        case 5: accumulate_values<5>(scores, t.v_rows, d0, t.count, dims, alpha, acc); break;
        case 6: accumulate_values<6>(scores, t.v_rows, d0, t.count, dims, alpha, acc); break;
        case 7: accumulate_values<7>(scores, t.v_rows, d0, t.count, dims, alpha, acc); break;
        default: accumulate_values<8>(scores, t.v_rows, d0, t.count, dims, alpha, acc); break;
      }
    }
  }
}

}  // namespace

void fill_avx2_vector_ops(CpuKernels& k) {
  k.convert_to_f32 = convert_to_f32;
  k.rms_norm = rms_norm;
  k.add_rms_norm = add_rms_norm;
  k.layer_norm = layer_norm;
  k.silu_mul = silu_mul;
  k.gelu = gelu_erf;  // scalar (double erfc) on every level
  k.gelu_tanh_mul = gelu_tanh_mul;
  k.add = add;
  k.softcap = softcap;
  k.rope = rope;
  k.attention_tile = attention_tile;
}

}  // namespace turbine::cpu
