// AVX2 linear: the same design as linear_avx512.cc (m <= 2 reads a few far-apart sequential
// streams of rows; m > 1 uses dot-product tiles; x packed once; BF16 widened by shift/mask into
// even and odd lanes) with 256-bit vectors, 16 k elements per step, and tiles sized for 16
// vector registers. AVX2 has no 16-bit masked load, so a row's k tail is copied into a zeroed
// buffer first.
#include <immintrin.h>

#include "backend/cpu/cpu_kernels.h"

namespace turbine::cpu {
namespace {

constexpr int64_t kChunk = 16;  // k elements per step
constexpr int kGemmMr = 4;
constexpr int kGemmNr = 2;
constexpr int64_t kL2BlockBytes = 192 * 1024;

template <DType W>
constexpr int64_t kWeightBytes = W == DType::kF32 ? 4 : 2;

int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

int64_t packed_floats(int64_t k) { return (k + kChunk - 1) / kChunk * kChunk; }

// Lanes < count set (count clamped to [0, 8]), for maskload/maskstore.
__m256i lane_mask(int64_t count) {
  const int c = int(count < 0 ? 0 : count > 8 ? 8 : count);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(c), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// F32 and F16 weights: x as is. BF16 weights: per chunk, 8 even elements then 8 odd ones.
void pack_row(const float* x, int64_t k, DType w_dtype, float* packed) {
  const int64_t total = packed_floats(k);
  if (w_dtype != DType::kBF16) {
    for (int64_t c = 0; c < total; c += 8) _mm256_storeu_ps(packed + c, _mm256_maskload_ps(x + c, lane_mask(k - c)));
    return;
  }
  const __m256i even_first = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  for (int64_t c = 0; c < total; c += kChunk) {
    // Each half sorted into [evens, odds] per 128 bits, then the quarters regrouped.
    const __m256 lo = _mm256_permutevar8x32_ps(_mm256_maskload_ps(x + c, lane_mask(k - c)), even_first);
    const __m256 hi = _mm256_permutevar8x32_ps(_mm256_maskload_ps(x + c + 8, lane_mask(k - c - 8)), even_first);
    _mm256_storeu_ps(packed + c, _mm256_permute2f128_ps(lo, hi, 0x20));
    _mm256_storeu_ps(packed + c + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
  }
}

// ---- weight loads: chunk c of one W row as two f32 vectors in the packed-x order ----------------

template <DType W>
struct WeightChunk;

template <>
struct WeightChunk<DType::kBF16> {
  static void load(const char* p, __m256& a, __m256& b) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    a = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
    b = _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32(int(0xffff0000u))));
  }
};

template <>
struct WeightChunk<DType::kF16> {
  static void load(const char* p, __m256& a, __m256& b) {
    a = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    b = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)));
  }
};

template <>
struct WeightChunk<DType::kF32> {
  static void load(const char* p, __m256& a, __m256& b) {
    a = _mm256_loadu_ps(reinterpret_cast<const float*>(p));
    b = _mm256_loadu_ps(reinterpret_cast<const float*>(p + 32));
  }
};

// Lane j of the result is the sum of all lanes of v[j], for j < 8.
__m256 sum_lanes8(const __m256* v) {
  const __m256 s0123 = _mm256_hadd_ps(_mm256_hadd_ps(v[0], v[1]), _mm256_hadd_ps(v[2], v[3]));
  const __m256 s4567 = _mm256_hadd_ps(_mm256_hadd_ps(v[4], v[5]), _mm256_hadd_ps(v[6], v[7]));
  return _mm256_add_ps(_mm256_permute2f128_ps(s0123, s4567, 0x20), _mm256_permute2f128_ps(s0123, s4567, 0x31));
}

template <int MR, int NR>
void store_tile(const LinearArgs& a, int64_t i0, int64_t j0, const __m256 (&acc)[MR][NR]) {
  constexpr int kCount = MR * NR;
  constexpr int kGroups = (kCount + 7) / 8;
  __m256 v[kGroups * 8];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) v[i * NR + j] = acc[i][j];
  for (int t = kCount; t < kGroups * 8; ++t) v[t] = _mm256_setzero_ps();
  alignas(32) float sums[kGroups * 8];
  for (int g = 0; g < kGroups; ++g) _mm256_store_ps(sums + 8 * g, sum_lanes8(v + 8 * g));
  for (int i = 0; i < MR; ++i) {
    float* out = a.out + (i0 + i) * a.out_stride + j0;
    for (int j = 0; j < NR; ++j) out[j] = sums[i * NR + j] + (a.bias ? a.bias[j0 + j] : 0.0f);
  }
}

template <DType W, int MR, int NR>
void tile(const LinearArgs& a, int64_t i0, int64_t j0) {
  constexpr int64_t kChunkBytes = kChunk * kWeightBytes<W>;
  const int64_t row_bytes = a.k * kWeightBytes<W>;
  const char* w = static_cast<const char*>(a.w) + j0 * row_bytes;
  const float* x = a.x_packed + i0 * a.x_stride;
  __m256 acc[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
  const int64_t full = a.k / kChunk, rem = a.k % kChunk;
  auto step = [&](const char* const* rows, int64_t c) {
    __m256 wa[NR], wb[NR];
    for (int j = 0; j < NR; ++j) WeightChunk<W>::load(rows[j], wa[j], wb[j]);
    for (int i = 0; i < MR; ++i) {
      const __m256 xa = _mm256_loadu_ps(x + i * a.x_stride + c * kChunk);
      const __m256 xb = _mm256_loadu_ps(x + i * a.x_stride + c * kChunk + 8);
      for (int j = 0; j < NR; ++j) {
        acc[i][j] = _mm256_fmadd_ps(wa[j], xa, acc[i][j]);
        acc[i][j] = _mm256_fmadd_ps(wb[j], xb, acc[i][j]);
      }
    }
  };
  for (int64_t c = 0; c < full; ++c) {
    const char* rows[NR];
    for (int j = 0; j < NR; ++j) rows[j] = w + j * row_bytes + c * kChunkBytes;
    step(rows, c);
  }
  if (rem) {
    alignas(32) char tails[NR][kChunkBytes] = {};
    const char* rows[NR];
    for (int j = 0; j < NR; ++j) {
      const char* src = w + j * row_bytes + full * kChunkBytes;
      for (int64_t b = 0; b < rem * kWeightBytes<W>; ++b) tails[j][b] = src[b];
      rows[j] = tails[j];
    }
    step(rows, full);
  }
  store_tile<MR, NR>(a, i0, j0, acc);
}

// ---- m <= 2: S far-apart streams of rows, as in linear_avx512.cc ------------------------------

// dots[r * M + i] = W row r · x row i for S rows of W, each read front to back, one accumulator
// per pair (16 registers: S * M accumulators, M x chunks and the widened weights).
template <DType W, int S, int M>
void rows_dot(const char* const* rows, const float* x, int64_t x_stride, int64_t k, __m256* dots) {
  constexpr int64_t kChunkBytes = kChunk * kWeightBytes<W>;
  __m256 acc[S * M];
  for (int t = 0; t < S * M; ++t) acc[t] = _mm256_setzero_ps();
  const int64_t full = k / kChunk, rem = k % kChunk;
  auto step = [&](int64_t c, const char* const* chunk_rows) {
    __m256 xa[M], xb[M];
    for (int i = 0; i < M; ++i) {
      xa[i] = _mm256_loadu_ps(x + i * x_stride + c * kChunk);
      xb[i] = _mm256_loadu_ps(x + i * x_stride + c * kChunk + 8);
    }
    for (int r = 0; r < S; ++r) {
      __m256 wa, wb;
      WeightChunk<W>::load(chunk_rows[r], wa, wb);
      for (int i = 0; i < M; ++i) acc[r * M + i] = _mm256_fmadd_ps(wb, xb[i], _mm256_fmadd_ps(wa, xa[i], acc[r * M + i]));
    }
  };
  for (int64_t c = 0; c < full; ++c) {
    const char* chunk_rows[S];
    for (int r = 0; r < S; ++r) chunk_rows[r] = rows[r] + c * kChunkBytes;
    step(c, chunk_rows);
  }
  if (rem) {
    alignas(32) char tails[S][kChunkBytes] = {};
    const char* chunk_rows[S];
    for (int r = 0; r < S; ++r) {
      for (int64_t b = 0; b < rem * kWeightBytes<W>; ++b) tails[r][b] = rows[r][full * kChunkBytes + b];
      chunk_rows[r] = tails[r];
    }
    step(full, chunk_rows);
  }
  for (int t = 0; t < S * M; ++t) dots[t] = acc[t];
}

template <DType W, int S, int M>
void skinny_streams(const LinearArgs& a, int64_t n_begin, int64_t n_end) {
  static_assert(S * M <= 8);
  constexpr int kPerStream = 8 / (S * M);
  const int64_t row_bytes = a.k * kWeightBytes<W>;
  const char* w = static_cast<const char*>(a.w);
  const int64_t part = (n_end - n_begin) / S;
  for (int64_t j0 = n_begin; j0 < n_begin + part; j0 += kPerStream) {
    const int count = int(min64(kPerStream, n_begin + part - j0));
    __m256 dots[8];
    for (int t = 0; t < 8; ++t) dots[t] = _mm256_setzero_ps();
    for (int t = 0; t < count; ++t) {
      const char* rows[S];
      for (int r = 0; r < S; ++r) rows[r] = w + (j0 + r * part + t) * row_bytes;
      rows_dot<W, S, M>(rows, a.x_packed, a.x_stride, a.k, dots + t * S * M);
    }
    alignas(32) float sums[8];
    _mm256_store_ps(sums, sum_lanes8(dots));
    for (int t = 0; t < count; ++t) {
      for (int r = 0; r < S; ++r) {
        const int64_t j = j0 + r * part + t;
        for (int i = 0; i < M; ++i) a.out[i * a.out_stride + j] = sums[(t * S + r) * M + i] + (a.bias ? a.bias[j] : 0.0f);
      }
    }
  }
  if constexpr (S > 1) {
    if (n_begin + S * part < n_end) skinny_streams<W, 1, M>(a, n_begin + S * part, n_end);
  }
}

template <DType W, int M>
void skinny(const LinearArgs& a, int64_t n_begin, int64_t n_end) {
  int streams = a.k >= 2048 && M == 1 ? 8 : 4;
  while (streams > 1 && n_end - n_begin < 4 * streams) streams /= 2;
  switch (streams) {
    case 8:
      if constexpr (M == 1) return skinny_streams<W, 8, M>(a, n_begin, n_end);
      [[fallthrough]];
    case 4: return skinny_streams<W, 4, M>(a, n_begin, n_end);
    case 2: return skinny_streams<W, 2, M>(a, n_begin, n_end);
    default: return skinny_streams<W, 1, M>(a, n_begin, n_end);
  }
}

template <DType W, int MR, int NR>
void tile_any(const LinearArgs& a, int64_t i0, int64_t j0, int mr, int nr) {
  if constexpr (MR > 1) {
    if (mr < MR) return tile_any<W, MR - 1, NR>(a, i0, j0, mr, nr);
  }
  if constexpr (NR > 1) {
    if (nr < NR) return tile_any<W, MR, NR - 1>(a, i0, j0, mr, nr);
  }
  tile<W, MR, NR>(a, i0, j0);
}

template <DType W>
void linear_range(const LinearArgs& a, int64_t n_begin, int64_t n_end) {
  if (a.m == 1) return skinny<W, 1>(a, n_begin, n_end);
  if (a.m == 2) return skinny<W, 2>(a, n_begin, n_end);
  const int64_t row_bytes = a.k * kWeightBytes<W>;
  const int64_t block_rows = max64(kGemmNr, kL2BlockBytes / row_bytes / kGemmNr * kGemmNr);
  for (int64_t nb = n_begin; nb < n_end; nb += block_rows) {
    const int64_t nb_end = min64(nb + block_rows, n_end);
    for (int64_t i = 0; i < a.m; i += kGemmMr) {
      const int mr = int(min64(kGemmMr, a.m - i));
      for (int64_t j = nb; j < nb_end; j += kGemmNr) {
        tile_any<W, kGemmMr, kGemmNr>(a, i, j, mr, int(min64(kGemmNr, nb_end - j)));
      }
    }
  }
}

void linear(const LinearArgs& a, int64_t n_begin, int64_t n_end) {
  switch (a.w_dtype) {
    case DType::kF32: return linear_range<DType::kF32>(a, n_begin, n_end);
    case DType::kBF16: return linear_range<DType::kBF16>(a, n_begin, n_end);
    case DType::kF16: return linear_range<DType::kF16>(a, n_begin, n_end);
    default: break;  // compute dtypes only: the op checks refuse storage dtypes
  }
}

}  // namespace

// Defined in vector_ops_avx2.cc: fills everything but the linear entries.
void fill_avx2_vector_ops(CpuKernels& kernels);

CpuKernels avx2_kernels() {
  CpuKernels k{};
  fill_avx2_vector_ops(k);
  k.name = "avx2";
  k.linear_packed_floats = packed_floats;
  k.linear_pack_row = pack_row;
  k.linear = linear;
  return k;
}

}  // namespace turbine::cpu
