// AVX-512 elementwise ops, row norms (RMSNorm, LayerNorm), RoPE and the attention tile (see cpu_kernels.h).
//
// Rounding follows Hugging Face's fp32 order where it is cheap to do so (RMSNorm multiplies
// x * r first and the weight after; RoPE rounds each product before the add), so results stay
// within an ulp or two of PyTorch. exp is a Cody-Waite reduction plus a degree-7 Taylor
// polynomial: the truncation error (< 0.05 ulp on |r| <= ln2/2) is far below the rounding of the
// evaluation, so it is accurate to about 1 ulp.
#include <immintrin.h>

#include "backend/cpu/cpu_kernels.h"

namespace turbine::cpu {
namespace {

int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

__mmask16 mask16(int64_t count) {
  return count >= 16 ? __mmask16(0xffff) : count <= 0 ? __mmask16(0) : __mmask16((1u << count) - 1);
}

// e^x for every lane; overflows to +inf above ~88.7, underflows to 0 below ~-103.
__m512 exp16(__m512 x) {
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(89.0f)), _mm512_set1_ps(-104.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  // r = x - n ln2, with ln2 split so that n * kLn2Hi is exact.
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.42860682030941723212e-6f), r);
  __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

// tanh(x) for every lane, within ~2 ulp: for |x| < 0.625 an odd polynomial x + x^3 p(x^2), p
// fitted (Lawson-weighted least squares) to tanh's relative error, which it meets to < 0.1 ulp;
// above, 1 - 2 / (e^2|x| + 1), which is >= 0.55 there, so the subtraction cancels nothing. The
// sign is x's; NaN stays NaN.
__m512 tanh16(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 a = _mm512_abs_ps(x);
  const __m512 e = exp16(_mm512_add_ps(a, a));
  const __m512 big = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one)));
  const __m512 z = _mm512_mul_ps(a, a);
  __m512 p = _mm512_set1_ps(-0.005705051308928512f);
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(0.020639308613013888f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-0.05373986455192969f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(0.1333144571829312f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-0.33333282201250863f));
  const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(a, z), p, a);
  const __m512 t = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, _mm512_set1_ps(0.625f), _CMP_LT_OQ), big, small);
  const __m512 signed_t = _mm512_castsi512_ps(_mm512_or_si512(
      _mm512_castps_si512(t), _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(int(0x80000000u)))));
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), signed_t, x);
}

float reduce_max(__m512 v) { return _mm512_reduce_max_ps(v); }
float reduce_add(__m512 v) { return _mm512_reduce_add_ps(v); }

// ---- conversions and elementwise ---------------------------------------------------------------

void convert_to_f32(const void* src, DType dtype, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = mask16(n - i);
    __m512 v;
    switch (dtype) {
      case DType::kF32: v = _mm512_maskz_loadu_ps(m, static_cast<const float*>(src) + i); break;
      case DType::kBF16:
        v = _mm512_castsi512_ps(_mm512_slli_epi32(
            _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, static_cast<const uint16_t*>(src) + i)), 16));
        break;
      case DType::kF16: v = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, static_cast<const uint16_t*>(src) + i)); break;
      default: v = _mm512_setzero_ps(); break;
    }
    _mm512_mask_storeu_ps(dst + i, m, v);
  }
}

__m512 silu_mul16(__m512 g, __m512 u) {
  const __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), g));
  return _mm512_mul_ps(_mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1.0f), e)), u);
}

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(out + i, silu_mul16(_mm512_loadu_ps(gate + i), _mm512_loadu_ps(up + i)));
  }
  if (i < n) {
    const __mmask16 m = mask16(n - i);
    _mm512_mask_storeu_ps(out + i, m, silu_mul16(_mm512_maskz_loadu_ps(m, gate + i), _mm512_maskz_loadu_ps(m, up + i)));
  }
}

// gelu_tanh(g) = g / (1 + e^z) with z = -2 sqrt(2/pi) (g + 0.044715 g^3) = g (kA + kB g^2)
// (kernels_scalar.cc). e^z turns z's rounding error into |z| times as much relative error (|z|
// reaches 87 at g = -10), so z is carried as a float pair zh + zl (exact products by FMA, a
// two-sum, the constants split hi + lo) and e^(zh + zl) = e^zh (1 + zl): a few ulps in all. For
// |g| >= 10 the pair is not needed (and would overflow): the result is g, or below 2e-37 in
// magnitude.
__m512 gelu_tanh_mul16(__m512 g, __m512 u) {
  const __m512 ka = _mm512_set1_ps(-1.5957691669464111f), ka_lo = _mm512_set1_ps(4.534068054340423e-08f);
  const __m512 kb = _mm512_set1_ps(-0.07135481387376785f), kb_lo = _mm512_set1_ps(-2.3988324659995897e-09f);
  const __m512 g2 = _mm512_mul_ps(g, g), g2_lo = _mm512_fmsub_ps(g, g, g2);
  const __m512 p = _mm512_mul_ps(kb, g2), p_lo = _mm512_fmsub_ps(kb, g2, p);
  const __m512 t = _mm512_add_ps(ka, p);  // two-sum: t + t_lo = ka + p exactly
  const __m512 pv = _mm512_sub_ps(t, ka);
  __m512 t_lo = _mm512_add_ps(_mm512_sub_ps(ka, _mm512_sub_ps(t, pv)), _mm512_sub_ps(p, pv));
  t_lo = _mm512_add_ps(t_lo, _mm512_add_ps(p_lo, _mm512_fmadd_ps(kb, g2_lo, _mm512_fmadd_ps(kb_lo, g2, ka_lo))));
  const __m512 zh = _mm512_mul_ps(g, t), zl = _mm512_fmadd_ps(g, t_lo, _mm512_fmsub_ps(g, t, zh));
  const __m512 eh = exp16(zh);
  const __mmask16 near = _mm512_cmp_ps_mask(_mm512_abs_ps(g), _mm512_set1_ps(10.0f), _CMP_LT_OQ);
  const __m512 e = _mm512_mask_fmadd_ps(eh, near, zl, eh);  // eh (1 + zl) where near, eh elsewhere
  return _mm512_mul_ps(_mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1.0f), e)), u);
}

void gelu_tanh_mul(const float* gate, const float* up, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(out + i, gelu_tanh_mul16(_mm512_loadu_ps(gate + i), _mm512_loadu_ps(up + i)));
  }
  if (i < n) {
    const __mmask16 m = mask16(n - i);
    _mm512_mask_storeu_ps(out + i, m,
                          gelu_tanh_mul16(_mm512_maskz_loadu_ps(m, gate + i), _mm512_maskz_loadu_ps(m, up + i)));
  }
}

void softcap(float* x, float cap, int64_t n) {
  const __m512 c = _mm512_set1_ps(cap);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = mask16(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(c, tanh16(_mm512_div_ps(_mm512_maskz_loadu_ps(m, x + i), c))));
  }
}

void add(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = mask16(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
  }
}

// ---- norms -----------------------------------------------------------------------------------

float sum_squares(const float* x, int64_t n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
    s0 = _mm512_fmadd_ps(a, a, s0);
    s1 = _mm512_fmadd_ps(b, b, s1);
  }
  for (; i < n; i += 16) {
    const __m512 a = _mm512_maskz_loadu_ps(mask16(n - i), x + i);
    s0 = _mm512_fmadd_ps(a, a, s0);
  }
  return reduce_add(_mm512_add_ps(s0, s1));
}

void scale_by_weight(const float* x, const float* w, float r, float* out, int64_t n) {
  const __m512 rv = _mm512_set1_ps(r);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = mask16(n - i);
    const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), rv);
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, w + i)));
  }
}

float inv_rms(float sum_sq, int64_t n, float eps) { return 1.0f / __builtin_sqrtf(sum_sq / float(n) + eps); }

void rms_norm(const float* x, const float* w, float eps, float* out, int64_t n) {
  scale_by_weight(x, w, inv_rms(sum_squares(x, n), n, eps), out, n);
}

void add_rms_norm(float* residual, const float* x, const float* w, float eps, float* out, int64_t n) {
  add(residual, x, n);
  rms_norm(residual, w, eps, out, n);
}

__m512d widen_lo(__m512 v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
__m512d widen_hi(__m512 v) {
  return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

// LayerNorm (cpu_kernels.h): the mean and the sum of squared deviations from it are summed in
// double (16 floats widen to two vectors of 8 doubles), so only the final scaling is f32.
void layer_norm(const float* x, const float* w, const float* b, float eps, float* out, int64_t n) {
  __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
  for (int64_t i = 0; i < n; i += 16) {
    const __m512 v = _mm512_maskz_loadu_ps(mask16(n - i), x + i);  // zeros past the end
    s0 = _mm512_add_pd(s0, widen_lo(v));
    s1 = _mm512_add_pd(s1, widen_hi(v));
  }
  const double mean = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1)) / double(n);
  const __m512d m = _mm512_set1_pd(mean);
  s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = mask16(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(k, x + i);
    const __m512d d0 = _mm512_maskz_sub_pd(__mmask8(k & 0xff), widen_lo(v), m);
    const __m512d d1 = _mm512_maskz_sub_pd(__mmask8(k >> 8), widen_hi(v), m);
    s0 = _mm512_fmadd_pd(d0, d0, s0);
    s1 = _mm512_fmadd_pd(d1, d1, s1);
  }
  const double sq = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
  const __m512 r = _mm512_set1_ps(float(1.0 / __builtin_sqrt(sq / double(n) + eps)));
  // x - mean with the mean as a float pair (hi exact against nearby x: Sterbenz).
  const float hi_s = float(mean);
  const __m512 hi = _mm512_set1_ps(hi_s), lo = _mm512_set1_ps(float(mean - double(hi_s)));
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = mask16(n - i);
    const __m512 d = _mm512_sub_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), hi), lo);
    __m512 y = _mm512_mul_ps(_mm512_mul_ps(d, r), _mm512_maskz_loadu_ps(k, w + i));
    if (b != nullptr) y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(k, b + i));
    _mm512_mask_storeu_ps(out + i, k, y);
  }
}

// ---- RoPE ------------------------------------------------------------------------------------

void rope(float* x, const float* cos_sin, int64_t num_heads, int64_t head_dim, int64_t rotary_dim) {
  const int64_t half = rotary_dim / 2;
  for (int64_t h = 0; h < num_heads; ++h) {
    float* x1p = x + h * head_dim;
    float* x2p = x1p + half;
    for (int64_t i = 0; i < half; i += 16) {
      const __mmask16 m = mask16(half - i);
      const __m512 x1 = _mm512_maskz_loadu_ps(m, x1p + i), x2 = _mm512_maskz_loadu_ps(m, x2p + i);
      const __m512 c = _mm512_maskz_loadu_ps(m, cos_sin + i), s = _mm512_maskz_loadu_ps(m, cos_sin + half + i);
      _mm512_mask_storeu_ps(x1p + i, m, _mm512_sub_ps(_mm512_mul_ps(x1, c), _mm512_mul_ps(x2, s)));
      _mm512_mask_storeu_ps(x2p + i, m, _mm512_add_ps(_mm512_mul_ps(x2, c), _mm512_mul_ps(x1, s)));
    }
  }
}

// ---- attention -------------------------------------------------------------------------------

// Lane j of the result is the sum of all lanes of v[j] (same tree as in linear_avx512.cc).
__m512 sum_lanes16(const __m512* v) {
  __m512 s8[8];
  for (int i = 0; i < 8; ++i) {
    s8[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  }
  __m512 s4[4];
  for (int i = 0; i < 4; ++i) {
    const __m512d a = _mm512_castps_pd(s8[2 * i]), b = _mm512_castps_pd(s8[2 * i + 1]);
    s4[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)), _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
  }
  __m512 s2[2];
  for (int i = 0; i < 2; ++i) {
    s2[i] = _mm512_add_ps(_mm512_shuffle_f32x4(s4[2 * i], s4[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                          _mm512_shuffle_f32x4(s4[2 * i], s4[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  }
  return _mm512_add_ps(_mm512_shuffle_f32x4(s2[0], s2[1], _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(s2[0], s2[1], _MM_SHUFFLE(3, 1, 3, 1)));
}

// scores[j] = scale * q · k_j for j < count (count <= 16), and lanes >= count = -inf.
// NV = ceil(head_dim / 16) vectors of q stay in registers; `last` masks the final one.
template <int NV>
__m512 scores16(const float* q, const float* const* k_rows, int count, __mmask16 last, float scale) {
  __m512 qv[NV];
  for (int i = 0; i < NV; ++i) qv[i] = _mm512_maskz_loadu_ps(i == NV - 1 ? last : __mmask16(0xffff), q + 16 * i);
  __m512 dots[16];
  for (int j = 0; j < 16; ++j) {
    __m512 acc = _mm512_setzero_ps();
    if (j < count) {
      const float* kj = k_rows[j];
      for (int i = 0; i < NV; ++i) {
        acc = _mm512_fmadd_ps(qv[i], _mm512_maskz_loadu_ps(i == NV - 1 ? last : __mmask16(0xffff), kj + 16 * i), acc);
      }
    }
    dots[j] = acc;
  }
  const __m512 s = _mm512_mul_ps(sum_lanes16(dots), _mm512_set1_ps(scale));
  return _mm512_mask_blend_ps(mask16(count), _mm512_set1_ps(-__builtin_inff()), s);
}

// Head dims above 128: q from memory, any length.
__m512 scores16_long(const float* q, const float* const* k_rows, int count, int head_dim, float scale) {
  __m512 dots[16];
  for (int j = 0; j < 16; ++j) {
    __m512 acc = _mm512_setzero_ps();
    if (j < count) {
      const float* kj = k_rows[j];
      for (int d = 0; d < head_dim; d += 16) {
        const __mmask16 m = mask16(head_dim - d);
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + d), _mm512_maskz_loadu_ps(m, kj + d), acc);
      }
    }
    dots[j] = acc;
  }
  const __m512 s = _mm512_mul_ps(sum_lanes16(dots), _mm512_set1_ps(scale));
  return _mm512_mask_blend_ps(mask16(count), _mm512_set1_ps(-__builtin_inff()), s);
}

__m512 scores16_any(const float* q, const float* const* k_rows, int count, int head_dim, float scale) {
  const __mmask16 last = mask16(head_dim - (head_dim - 1) / 16 * 16);
  switch ((head_dim + 15) / 16) {
    case 1: return scores16<1>(q, k_rows, count, last, scale);
    case 2: return scores16<2>(q, k_rows, count, last, scale);
    case 3: return scores16<3>(q, k_rows, count, last, scale);
    case 4: return scores16<4>(q, k_rows, count, last, scale);
    case 5: return scores16<5>(q, k_rows, count, last, scale);
    case 6: return scores16<6>(q, k_rows, count, last, scale);
    case 7: return scores16<7>(q, k_rows, count, last, scale);
    case 8: return scores16<8>(q, k_rows, count, last, scale);
    default: return scores16_long(q, k_rows, count, head_dim, scale);
  }
}

// cap * tanh(s / cap) for the first `count` lanes (-inf beyond), tanh(x) = 1 - 2 / (e^2x + 1): at
// most ~1 ulp of 1 off in absolute terms, which the cap scales (the reference is exact).
__m512 softcap16(__m512 s, float cap, float inv_cap, int count) {
  const __m512 e = exp16(_mm512_mul_ps(s, _mm512_set1_ps(2.0f * inv_cap)));
  const __m512 tanh = _mm512_sub_ps(_mm512_set1_ps(1.0f),
                                    _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
  return _mm512_mask_blend_ps(mask16(count), _mm512_set1_ps(-__builtin_inff()),
                              _mm512_mul_ps(tanh, _mm512_set1_ps(cap)));
}

constexpr int kSlabVectors = 8;

// acc[0:dims] = alpha * acc[0:dims] + sum_j p[j] * v_j[0:dims], NV = ceil(dims / 16) registers.
template <int NV>
void accumulate_values(const float* p, const float* const* v_rows, int64_t d0, int count, int dims, float alpha,
                       float* acc) {
  __mmask16 masks[NV];
  __m512 sums[NV];
  for (int i = 0; i < NV; ++i) {
    masks[i] = mask16(dims - 16 * i);
    sums[i] = _mm512_mul_ps(_mm512_maskz_loadu_ps(masks[i], acc + 16 * i), _mm512_set1_ps(alpha));
  }
  for (int j = 0; j < count; ++j) {
    const __m512 pj = _mm512_set1_ps(p[j]);
    const float* vj = v_rows[j] + d0;
    for (int i = 0; i < NV; ++i) sums[i] = _mm512_fmadd_ps(pj, _mm512_maskz_loadu_ps(masks[i], vj + 16 * i), sums[i]);
  }
  for (int i = 0; i < NV; ++i) _mm512_mask_storeu_ps(acc + 16 * i, masks[i], sums[i]);
}

void attention_tile(const AttentionTile& t, const AttentionState& st) {
  const int d = t.head_dim;
  for (int h = 0; h < t.num_q_heads; ++h) {
    const float* q = t.q + int64_t(h) * d;
    float* scores = st.scores;  // reused per head
    __m512 vmax = _mm512_set1_ps(-__builtin_inff());
    for (int j = 0; j < t.count; j += 16) {
      const int cnt = int(min64(16, t.count - j));
      __m512 s = scores16_any(q, t.k_rows + j, cnt, d, t.scale);
      if (t.softcap > 0.0f) s = softcap16(s, t.softcap, 1.0f / t.softcap, cnt);
      _mm512_storeu_ps(scores + j, s);
      vmax = _mm512_max_ps(vmax, s);
    }
    const float old_max = st.max[h];
    const float tile_max = reduce_max(vmax);
    const float new_max = tile_max > old_max ? tile_max : old_max;
    // The first tile has old_max = -inf (and sum = acc = 0): nothing to rescale.
    const float alpha =
        old_max == -__builtin_inff() ? 0.0f : _mm512_cvtss_f32(exp16(_mm512_set1_ps(old_max - new_max)));
    __m512 vsum = _mm512_setzero_ps();
    for (int j = 0; j < t.count; j += 16) {
      const __m512 p = exp16(_mm512_sub_ps(_mm512_loadu_ps(scores + j), _mm512_set1_ps(new_max)));
      const __m512 p_masked = _mm512_maskz_mov_ps(mask16(t.count - j), p);
      _mm512_storeu_ps(scores + j, p_masked);
      vsum = _mm512_add_ps(vsum, p_masked);
    }
    st.max[h] = new_max;
    st.sum[h] = st.sum[h] * alpha + reduce_add(vsum);
    // acc[h] = alpha * acc[h] + sum_j p[j] v_j, in slabs of up to 128 dims held in registers.
    for (int d0 = 0; d0 < d; d0 += 16 * kSlabVectors) {
      float* acc = st.acc + int64_t(h) * d + d0;
      const int dims = int(min64(16 * kSlabVectors, d - d0));
      switch ((dims + 15) / 16) {
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

void fill_avx512_vector_ops(CpuKernels& k) {
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
