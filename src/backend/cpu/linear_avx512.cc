// AVX-512 linear: out = x · W^T + bias with W in F32, F16 or BF16 read in place.
//
// Dot-product form: W rows and x rows are both contiguous along k, so a tile of MR x rows by NR
// W rows keeps MR * NR vector accumulators over k and reduces them horizontally once at the end.
// k advances 32 elements per step: one 64-byte load per W row for BF16. A BF16 vector is widened
// without shuffles: the low bf16 of each 32-bit lane becomes f32 by a left shift, the high one by
// masking off the low half, so one load gives the even and the odd elements as two f32 vectors.
// x is packed once per call to match (evens then odds per 32-element chunk, zero padded), which
// also makes the k tail free: W's tail is read with a masked load, x's tail is zeros.
//
// m <= 4 (decode, alone or a few sequences together) streams W from memory, and the access
// pattern decides the speed. Each thread cuts its rows into S equal ranges (4, or 8 once
// k >= 2048) and walks them in lockstep, every row read front to back: S long sequential
// streams that the hardware prefetchers follow, with each x chunk loaded once for S rows.
// Measured on the Zen 4 VM this was tuned on (BF16, nothing else running): one stream per
// thread gave 24-30 GB/s per core at k = 896 and ~17 at k = 4864, where x (4k bytes) no longer
// stays in L1 beside the stream; far-apart streams give 27-31 GB/s for both, ~90% of a core's
// read bandwidth, and a whole Qwen2.5-0.5B decode step's linears run at ~55 GB/s on two
// threads (read bandwidth: ~64). Streams of *adjacent* rows (each then jumps a row ahead every
// row: 8-row tiles, 2 rows in lockstep), k cut into slices, or rows in alternating directions
// fell to 11-13 GB/s; software prefetch (any distance, T0/T1/NTA) and flushing consumed lines
// added nothing. m = 2, 3, 4 reach ~64, 48, 36 GB/s of weights on two threads, where the FMAs
// take over as the limit.
// m > 4 (prefill) is compute-bound: W is processed in blocks of rows that stay in L2 while every
// MR-row tile of x passes over them, so each weight byte comes from memory once per call; this
// runs at ~100 GFLOP/s per core, close to the FMA peak.
//
// With AVX512_BF16, BF16 weights can use vdpbf16ps instead (two bf16 products per lane per
// instruction, no widening). Activations must keep f32 precision (golden tests compare with
// fp32 Hugging Face), so x is split as x = hi + lo with both halves bf16 and W · x is computed as
// W · hi + W · lo: the split leaves a relative error of about 2^-17 per product. That takes as
// many instructions as the FMA path, and Zen 4 runs vdpbf16ps at half the FMA rate, so it is off
// by default (CpuBackendOptions::use_avx512_bf16).
#include <immintrin.h>

#include "backend/cpu/cpu_kernels.h"

namespace turbine::cpu {
namespace {

constexpr int64_t kChunk = 32;  // k elements per step
constexpr int kGemmMr = 4;      // x rows per tile (prefill)
constexpr int kGemmNr = 4;      // W rows per tile (prefill)
constexpr int64_t kL2BlockBytes = 384 * 1024;  // W rows kept in L2 while all of x passes

int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

template <DType W>
constexpr int64_t kWeightBytes = W == DType::kF32 ? 4 : 2;

int64_t packed_floats(int64_t k) { return (k + kChunk - 1) / kChunk * kChunk; }

__mmask16 mask16(int64_t count) { return count >= 16 ? __mmask16(0xffff) : __mmask16((1u << count) - 1); }

// ---- packing x ---------------------------------------------------------------------------------

// F32 and F16 weights: x as is. BF16 weights: per chunk, 16 even elements then 16 odd ones.
void pack_row(const float* x, int64_t k, DType w_dtype, float* packed) {
  const int64_t total = packed_floats(k);
  if (w_dtype != DType::kBF16) {
    for (int64_t c = 0; c < total; c += 16) {
      _mm512_storeu_ps(packed + c, _mm512_maskz_loadu_ps(mask16(max64(k - c, 0)), x + c));
    }
    return;
  }
  const __m512i even_idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd_idx = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  for (int64_t c = 0; c < total; c += kChunk) {
    const __m512 lo = _mm512_maskz_loadu_ps(mask16(max64(k - c, 0)), x + c);
    const __m512 hi = _mm512_maskz_loadu_ps(mask16(max64(k - c - 16, 0)), x + c + 16);
    _mm512_storeu_ps(packed + c, _mm512_permutex2var_ps(lo, even_idx, hi));
    _mm512_storeu_ps(packed + c + 16, _mm512_permutex2var_ps(lo, odd_idx, hi));
  }
}

// BF16 weights with vdpbf16ps: per chunk, 32 bf16 of hi then 32 bf16 of lo (x = hi + lo).
void pack_row_bf16_split(const float* x, int64_t k, DType w_dtype, float* packed) {
  if (w_dtype != DType::kBF16) return pack_row(x, k, w_dtype, packed);
  const int64_t total = packed_floats(k);
  for (int64_t c = 0; c < total; c += kChunk) {
    const __m512 x0 = _mm512_maskz_loadu_ps(mask16(max64(k - c, 0)), x + c);
    const __m512 x1 = _mm512_maskz_loadu_ps(mask16(max64(k - c - 16, 0)), x + c + 16);
    const __m512bh hi = _mm512_cvtne2ps_pbh(x1, x0);
    const __m512i hi_bits = (__m512i)hi;
    const __m512 hi0 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(hi_bits)), 16));
    const __m512 hi1 =
        _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(hi_bits, 1)), 16));
    const __m512bh lo = _mm512_cvtne2ps_pbh(_mm512_sub_ps(x1, hi1), _mm512_sub_ps(x0, hi0));
    _mm512_storeu_si512(packed + c, hi_bits);
    _mm512_storeu_si512(packed + c + 16, (__m512i)lo);
  }
}

// ---- weight loads: chunk c of one W row as two f32 vectors in the packed-x order ----------------

template <DType W>
struct WeightChunk;

template <>
struct WeightChunk<DType::kBF16> {
  static void load(const char* row, int64_t c, __m512& a, __m512& b) {
    split(_mm512_loadu_si512(row + c * 64), a, b);
  }
  static void load_tail(const char* row, int64_t c, int64_t rem, __m512& a, __m512& b) {
    split(_mm512_maskz_loadu_epi16(__mmask32((1ull << rem) - 1), row + c * 64), a, b);
  }
  static void split(__m512i v, __m512& a, __m512& b) {
    a = _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
    b = _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32(int(0xffff0000u))));
  }
};

template <>
struct WeightChunk<DType::kF16> {
  static void load(const char* row, int64_t c, __m512& a, __m512& b) {
    a = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + c * 64)));
    b = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + c * 64 + 32)));
  }
  static void load_tail(const char* row, int64_t c, int64_t rem, __m512& a, __m512& b) {
    a = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask16(rem), row + c * 64));
    b = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask16(max64(rem - 16, 0)), row + c * 64 + 32));
  }
};

template <>
struct WeightChunk<DType::kF32> {
  static void load(const char* row, int64_t c, __m512& a, __m512& b) {
    a = _mm512_loadu_ps(row + c * 128);
    b = _mm512_loadu_ps(row + c * 128 + 64);
  }
  static void load_tail(const char* row, int64_t c, int64_t rem, __m512& a, __m512& b) {
    a = _mm512_maskz_loadu_ps(mask16(rem), row + c * 128);
    b = _mm512_maskz_loadu_ps(mask16(max64(rem - 16, 0)), row + c * 128 + 64);
  }
};

// ---- horizontal sums -------------------------------------------------------------------------

// Lane j of the result is the sum of all lanes of v[j], for j < 16.
__m512 sum_lanes16(const __m512* v) {
  __m512 s8[8];
  for (int i = 0; i < 8; ++i) {  // per 128-bit lane: [a0+a2, b0+b2, a1+a3, b1+b3]
    const __m512 a = v[2 * i], b = v[2 * i + 1];
    s8[i] = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
  }
  __m512 s4[4];
  for (int i = 0; i < 4; ++i) {  // per 128-bit lane: the lane's sums of 4 vectors
    const __m512d a = _mm512_castps_pd(s8[2 * i]), b = _mm512_castps_pd(s8[2 * i + 1]);
    s4[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)), _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
  }
  __m512 s2[2];
  for (int i = 0; i < 2; ++i) {  // 128-bit lanes: [v0 L0+L1, v0 L2+L3, v1 L0+L1, v1 L2+L3]
    const __m512 a = s4[2 * i], b = s4[2 * i + 1];
    s2[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
                          _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
  }
  return _mm512_add_ps(_mm512_shuffle_f32x4(s2[0], s2[1], _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(s2[0], s2[1], _MM_SHUFFLE(3, 1, 3, 1)));
}

// Writes the MR x NR tile's sums (plus bias) to out.
template <int MR, int NR>
void store_tile(const LinearArgs& a, int64_t i0, int64_t j0, const __m512 (&acc)[MR][NR]) {
  static_assert(MR * NR <= 16);
  __m512 v[16];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) v[i * NR + j] = acc[i][j];
  for (int t = MR * NR; t < 16; ++t) v[t] = _mm512_setzero_ps();
  alignas(64) float sums[16];
  _mm512_store_ps(sums, sum_lanes16(v));
  for (int i = 0; i < MR; ++i) {
    float* out = a.out + (i0 + i) * a.out_stride + j0;
    for (int j = 0; j < NR; ++j) out[j] = sums[i * NR + j] + (a.bias ? a.bias[j0 + j] : 0.0f);
  }
}

// ---- tiles -----------------------------------------------------------------------------------

// out[i0 : i0+MR, j0 : j0+NR] with f32 FMAs.
template <DType W, int MR, int NR>
void tile_fma(const LinearArgs& a, int64_t i0, int64_t j0) {
  const int64_t row_bytes = a.k * kWeightBytes<W>;
  const char* w = static_cast<const char*>(a.w) + j0 * row_bytes;
  const float* x = a.x_packed + i0 * a.x_stride;
  __m512 acc[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_setzero_ps();
  const int64_t full = a.k / kChunk, rem = a.k % kChunk;
  for (int64_t c = 0; c < full; ++c) {
    __m512 wa[NR], wb[NR];
    for (int j = 0; j < NR; ++j) WeightChunk<W>::load(w + j * row_bytes, c, wa[j], wb[j]);
    for (int i = 0; i < MR; ++i) {
      const __m512 xa = _mm512_loadu_ps(x + i * a.x_stride + c * kChunk);
      const __m512 xb = _mm512_loadu_ps(x + i * a.x_stride + c * kChunk + 16);
      for (int j = 0; j < NR; ++j) {
        acc[i][j] = _mm512_fmadd_ps(wa[j], xa, acc[i][j]);
        acc[i][j] = _mm512_fmadd_ps(wb[j], xb, acc[i][j]);
      }
    }
  }
  if (rem) {
    __m512 wa[NR], wb[NR];
    for (int j = 0; j < NR; ++j) WeightChunk<W>::load_tail(w + j * row_bytes, full, rem, wa[j], wb[j]);
    for (int i = 0; i < MR; ++i) {
      const __m512 xa = _mm512_loadu_ps(x + i * a.x_stride + full * kChunk);
      const __m512 xb = _mm512_loadu_ps(x + i * a.x_stride + full * kChunk + 16);
      for (int j = 0; j < NR; ++j) {
        acc[i][j] = _mm512_fmadd_ps(wa[j], xa, acc[i][j]);
        acc[i][j] = _mm512_fmadd_ps(wb[j], xb, acc[i][j]);
      }
    }
  }
  store_tile<MR, NR>(a, i0, j0, acc);
}

// BF16 weights with vdpbf16ps against the hi/lo split of x.
template <int MR, int NR>
void tile_bf16_dot(const LinearArgs& a, int64_t i0, int64_t j0) {
  const int64_t row_bytes = a.k * 2;
  const char* w = static_cast<const char*>(a.w) + j0 * row_bytes;
  const float* x = a.x_packed + i0 * a.x_stride;
  __m512 acc[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_setzero_ps();
  const int64_t full = a.k / kChunk, rem = a.k % kChunk;
  const int64_t chunks = full + (rem ? 1 : 0);
  for (int64_t c = 0; c < chunks; ++c) {
    __m512i wv[NR];
    for (int j = 0; j < NR; ++j) {
      const char* p = w + j * row_bytes + c * 64;
      wv[j] = c < full ? _mm512_loadu_si512(p) : _mm512_maskz_loadu_epi16(__mmask32((1ull << rem) - 1), p);
    }
    for (int i = 0; i < MR; ++i) {
      const __m512i hi = _mm512_loadu_si512(x + i * a.x_stride + c * kChunk);
      const __m512i lo = _mm512_loadu_si512(x + i * a.x_stride + c * kChunk + 16);
      for (int j = 0; j < NR; ++j) {
        acc[i][j] = _mm512_dpbf16_ps(acc[i][j], (__m512bh)wv[j], (__m512bh)hi);
        acc[i][j] = _mm512_dpbf16_ps(acc[i][j], (__m512bh)wv[j], (__m512bh)lo);
      }
    }
  }
  store_tile<MR, NR>(a, i0, j0, acc);
}

enum class Kind { kFma, kBf16Dot };

// ---- m <= 4: a few far-apart streams of rows -----------------------------------------------

// Accumulates chunk c of S rows of W against the same chunk of M rows of x (each x chunk
// loaded once). acc[r * M + i] belongs to W row r and x row i.
template <Kind K, DType W, int S, int M, bool kTail>
void accumulate_chunk(const char* const* rows, const float* x, int64_t x_stride, int64_t c, int64_t rem,
                      __m512* acc) {
  __m512 xa[M], xb[M];
  for (int i = 0; i < M; ++i) {
    xa[i] = _mm512_loadu_ps(x + i * x_stride + c * kChunk);
    xb[i] = _mm512_loadu_ps(x + i * x_stride + c * kChunk + 16);
  }
  for (int r = 0; r < S; ++r) {
    if constexpr (K == Kind::kBf16Dot) {
      const char* p = rows[r] + c * 64;
      const __m512i w = kTail ? _mm512_maskz_loadu_epi16(__mmask32((1ull << rem) - 1), p) : _mm512_loadu_si512(p);
      for (int i = 0; i < M; ++i) {
        acc[r * M + i] = _mm512_dpbf16_ps(acc[r * M + i], (__m512bh)w, (__m512bh)_mm512_castps_si512(xa[i]));  // hi
        acc[r * M + i] = _mm512_dpbf16_ps(acc[r * M + i], (__m512bh)w, (__m512bh)_mm512_castps_si512(xb[i]));  // lo
      }
    } else {
      __m512 wa, wb;
      if constexpr (kTail) {
        WeightChunk<W>::load_tail(rows[r], c, rem, wa, wb);
      } else {
        WeightChunk<W>::load(rows[r], c, wa, wb);
      }
      for (int i = 0; i < M; ++i) acc[r * M + i] = _mm512_fmadd_ps(wb, xb[i], _mm512_fmadd_ps(wa, xa[i], acc[r * M + i]));
    }
  }
}

// dots[r * M + i] = W row r · x row i, each W row read front to back.
template <Kind K, DType W, int S, int M>
void rows_dot(const char* const* rows, const float* x, int64_t x_stride, int64_t k, __m512* dots) {
  for (int t = 0; t < S * M; ++t) dots[t] = _mm512_setzero_ps();
  const int64_t full = k / kChunk, rem = k % kChunk;
  for (int64_t c = 0; c < full; ++c) accumulate_chunk<K, W, S, M, false>(rows, x, x_stride, c, 0, dots);
  if (rem) accumulate_chunk<K, W, S, M, true>(rows, x, x_stride, full, rem, dots);
}

// W rows [n_begin, n_end) as S equal ranges walked in lockstep (plus a remainder of < S rows
// read alone), against all M rows of x; horizontal sums batched 16 dot products at a time.
template <Kind K, DType W, int S, int M>
void skinny_streams(const LinearArgs& a, int64_t n_begin, int64_t n_end) {
  static_assert(S * M <= 16);
  constexpr int kPerStream = 16 / (S * M);
  const int64_t row_bytes = a.k * kWeightBytes<W>;
  const char* w = static_cast<const char*>(a.w);
  const int64_t part = (n_end - n_begin) / S;
  for (int64_t j0 = n_begin; j0 < n_begin + part; j0 += kPerStream) {
    const int count = int(min64(kPerStream, n_begin + part - j0));
    __m512 dots[16];
    for (int t = 0; t < 16; ++t) dots[t] = _mm512_setzero_ps();
    for (int t = 0; t < count; ++t) {
      const char* rows[S];
      for (int r = 0; r < S; ++r) rows[r] = w + (j0 + r * part + t) * row_bytes;
      rows_dot<K, W, S, M>(rows, a.x_packed, a.x_stride, a.k, dots + t * S * M);
    }
    alignas(64) float sums[16];
    _mm512_store_ps(sums, sum_lanes16(dots));
    for (int t = 0; t < count; ++t) {
      for (int r = 0; r < S; ++r) {
        const int64_t j = j0 + r * part + t;
        for (int i = 0; i < M; ++i) {
          a.out[i * a.out_stride + j] = sums[(t * S + r) * M + i] + (a.bias ? a.bias[j] : 0.0f);
        }
      }
    }
  }
  if constexpr (S > 1) {
    if (n_begin + S * part < n_end) skinny_streams<K, W, 1, M>(a, n_begin + S * part, n_end);
  }
}

// How many streams: 8 once x is large (each x chunk is then loaded once per 8 W rows), 4
// otherwise, at most 16 accumulators in all, and fewer when the range is too short to give each
// stream a few rows.
template <Kind K, DType W, int M>
void skinny(const LinearArgs& a, int64_t n_begin, int64_t n_end) {
  int streams = a.k >= 2048 && M <= 2 ? 8 : 4;
  while (streams > 1 && n_end - n_begin < 4 * streams) streams /= 2;
  switch (streams) {
    case 8:
      if constexpr (M <= 2) return skinny_streams<K, W, 8, M>(a, n_begin, n_end);
      [[fallthrough]];
    case 4: return skinny_streams<K, W, 4, M>(a, n_begin, n_end);
    case 2: return skinny_streams<K, W, 2, M>(a, n_begin, n_end);
    default: return skinny_streams<K, W, 1, M>(a, n_begin, n_end);
  }
}

// ---- dispatch over tile shapes ---------------------------------------------------------------

template <Kind K, DType W, int MR, int NR>
void tile(const LinearArgs& a, int64_t i0, int64_t j0) {
  if constexpr (K == Kind::kBf16Dot) {
    tile_bf16_dot<MR, NR>(a, i0, j0);
  } else {
    tile_fma<W, MR, NR>(a, i0, j0);
  }
}

// Tile with mr <= MR rows of x and nr <= NR rows of W.
template <Kind K, DType W, int MR, int NR>
void tile_any(const LinearArgs& a, int64_t i0, int64_t j0, int mr, int nr) {
  if constexpr (MR > 1) {
    if (mr < MR) return tile_any<K, W, MR - 1, NR>(a, i0, j0, mr, nr);
  }
  if constexpr (NR > 1) {
    if (nr < NR) return tile_any<K, W, MR, NR - 1>(a, i0, j0, mr, nr);
  }
  tile<K, W, MR, NR>(a, i0, j0);
}

template <Kind K, DType W>
void linear_range(const LinearArgs& a, int64_t n_begin, int64_t n_end) {
  // Up to 4 rows of x the weight stream is (close to) the bottleneck: read W as far-apart
  // streams. From 4 rows on the FMAs are, and the L2-blocked tiles reuse W from cache.
  switch (a.m) {
    case 1: return skinny<K, W, 1>(a, n_begin, n_end);
    case 2: return skinny<K, W, 2>(a, n_begin, n_end);
    case 3: return skinny<K, W, 3>(a, n_begin, n_end);
    case 4: return skinny<K, W, 4>(a, n_begin, n_end);
    default: break;
  }
  const int64_t row_bytes = a.k * kWeightBytes<W>;
  const int64_t block_rows = max64(kGemmNr, kL2BlockBytes / row_bytes / kGemmNr * kGemmNr);
  for (int64_t nb = n_begin; nb < n_end; nb += block_rows) {
    const int64_t nb_end = min64(nb + block_rows, n_end);
    for (int64_t i = 0; i < a.m; i += kGemmMr) {
      const int mr = int(min64(kGemmMr, a.m - i));
      for (int64_t j = nb; j < nb_end; j += kGemmNr) {
        tile_any<K, W, kGemmMr, kGemmNr>(a, i, j, mr, int(min64(kGemmNr, nb_end - j)));
      }
    }
  }
}

void linear_fma(const LinearArgs& a, int64_t n_begin, int64_t n_end) {
  switch (a.w_dtype) {
    case DType::kF32: return linear_range<Kind::kFma, DType::kF32>(a, n_begin, n_end);
    case DType::kBF16: return linear_range<Kind::kFma, DType::kBF16>(a, n_begin, n_end);
    case DType::kF16: return linear_range<Kind::kFma, DType::kF16>(a, n_begin, n_end);
    default: break;  // compute dtypes only: the op checks refuse storage dtypes
  }
}

void linear_bf16_dot(const LinearArgs& a, int64_t n_begin, int64_t n_end) {
  if (a.w_dtype == DType::kBF16) return linear_range<Kind::kBf16Dot, DType::kBF16>(a, n_begin, n_end);
  linear_fma(a, n_begin, n_end);
}

}  // namespace

// Defined in vector_ops_avx512.cc: fills everything but the linear entries.
void fill_avx512_vector_ops(CpuKernels& kernels);

CpuKernels avx512_kernels(bool use_bf16_dot) {
  CpuKernels k{};
  fill_avx512_vector_ops(k);
  k.name = use_bf16_dot ? "avx512_bf16" : "avx512";
  k.linear_packed_floats = packed_floats;
  k.linear_pack_row = use_bf16_dot ? pack_row_bf16_split : pack_row;
  k.linear = use_bf16_dot ? linear_bf16_dot : linear_fma;
  return k;
}

}  // namespace turbine::cpu
