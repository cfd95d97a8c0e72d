// The sampling kernel's body. Included by gpu_sampler.cu (nvcc) and, for testing the logic on a
// machine without a GPU, by emulation/emulated_sampler.cc, which supplies the CUDA built-ins this
// file uses (thread/block indices, __syncthreads*, warp shuffles and ballots, the _rn intrinsics)
// on host threads. Keep to that set; no atomics, no static __shared__ (everything lives in Smem).
//
// Design (gpu_sampler.h has the contract):
//
// One thread block of NT threads per row; rows are independent. A row is streamed in tiles of
// NT * 8 floats (each thread 8 consecutive ones: two 16-byte loads when the row is 16-byte
// aligned, the next tile's loads issued before the current one is processed). A row of 128k
// floats is 513 KB, more than shared memory, so the kernel makes a few passes over it in global
// memory (L2 keeps part of it between passes) and keeps everything else on chip. The passes:
//
//  raw pass (always)   max, argmax, log-sum-exp (in double, relative to each thread's running
//                      max, rescaled at most once per tile), the num_logprobs best (one sorted
//                      list per warp spread over its lanes, updated by ballot only when a
//                      value beats the list's worst; the warps' lists merged by rank at the
//                      end) and each thread's two largest logits ("top-2": the k-th largest of
//                      these NT*2 distinct elements is a lower bound on the row's k-th largest).
//  transforms          sparse: one thread per adjusted or suppressed token, in place.
//  transformed pass    only if a transform changed a logit: max, argmax, top-2 again.
//  greedy rows stop here.
//
// Sampling rows then need thresholds. Every filter keeps a top set of the row (w is monotone in
// the logit), so each is found by narrowing a key interval, never by sorting the row:
//  - top-k: gather the tokens at or above the top-2 lower bound into shared memory, in id order
//    (a block-wide scan per tile). Usually a few dozen to a few thousand tokens: then the exact
//    k-th largest is a bisection on the float bit patterns over shared memory, and top-p, min-p
//    and the inverse-CDF walk all run on that list without touching global memory again.
//  - top-p without top-k: one pass computes the mass and gathers the tokens at or above a
//    guessed bound (the weight of the 1024th largest top-2 logit), again in id order; the guess
//    is accepted when the gathered mass reaches top_p * mass (the nucleus is then inside the
//    list). The threshold tau is a bisection on the weight bits with a block-wide double sum per
//    step, and the walk runs on the list.
//  - When a candidate set does not fit or the guess fails (flat distributions, huge k),
//    "refinement" passes count (and for top-p, weigh in double) the tokens above 16 (8) pivots
//    spread over the current key interval, keep the sub-interval that holds the threshold, and
//    repeat until it fits (then it is gathered, with per-tile sums of the tokens above it, and
//    finished on chip) or is a single key (a tie). Proven bounds keep the first interval small:
//    tokens lighter than (1 - top_p) * mass / vocab can never be in the nucleus.
//  - min-p, and sampling with no filter, need no threshold search: the survivors are a predicate.
//    Such rows, and rows whose survivors did not fit, are walked with per-tile sums: one pass sums
//    the survivors' weight per tile, the tile where the cumulative sum crosses u * total is found
//    from those sums, and only that tile is read again and scanned.
// Cost: 1 pass for greedy, 2 for sampling (raw + gather or sum) when the candidates fit; +1 when
// a transform changed a logit; refinement rows 5-6. One block per row means the batch takes as
// long as its slowest row: a single refined row (~0.65 ms alone on an H200 at 128k) sets the
// time of the whole launch (see README.md, "What is left").
//
// Exactness: keys are the order-preserving uint32 images of the floats (-0 folded onto +0), so
// every threshold is exact and ties behave as on the CPU (lowest ids). Weights are computed by
// exp_weight (double, rounded once), masses are summed in double. Block reductions are done in
// the same order by every thread, so every thread takes the same branch on their results.
#pragma once

#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>

#include "backend/cuda/sampling/gpu_sampler.h"

#ifndef TS_DEVICE
#define TS_DEVICE __device__ __forceinline__
#endif
#ifndef TS_PHASE  // one pass or on-chip phase: its own register allocation (and ptxas report)
#define TS_PHASE __device__ __noinline__
#endif
#ifndef TS_LOAD4  // four floats from a 16-byte aligned address into v[off..off+3]
#define TS_LOAD4(ptr, v, off)                                         \
  do {                                                                \
    const float4 ts_q_ = *reinterpret_cast<const float4*>(ptr);       \
    v[(off)] = ts_q_.x, v[(off) + 1] = ts_q_.y;                       \
    v[(off) + 2] = ts_q_.z, v[(off) + 3] = ts_q_.w;                   \
  } while (0)
#endif

namespace turbine::cuda::sampling_detail {

constexpr int kEpt = 8;           // elements per thread per tile
constexpr int kCap = 8192;        // candidate slots in shared memory
constexpr int kTopPGuessRank = 1024;  // top-p's guessed candidate bound: this rank of the top-2 logits
constexpr int kMaxTiles = 256;    // tiles per row (vocab <= kMaxTiles * NT * kEpt)
constexpr int kMaxWarps = 16;     // NT <= 512
constexpr int kTopN = kGpuMaxLogprobs;
constexpr int kVecSlots = 17;     // widest vector reduction (17 pivot counts)
constexpr uint32_t kNegInfKey = 0x007FFFFFu;  // float_key(-inf)
constexpr unsigned kFull = 0xffffffffu;
constexpr float kGreedyTemperature = 1e-5f;  // runner/sampling_params.h's kGreedyTemperatureEpsilon

struct Smem {
  int32_t cand_id[kCap];
  float cand_val[kCap];
  double tile_sum[kMaxTiles];
  double exp_table[64];
  double red_d[2][kMaxWarps * kVecSlots];
  int32_t red_i[2][kMaxWarps * kVecSlots];
  float top2[2 * kMaxWarps * 32];
  unsigned long long topn[kMaxWarps * kTopN];
  int32_t misc_i[4];
  float misc_f[4];
};

// 2^(j/64), correctly rounded.
#define TS_EXP2_TABLE                                                                           \
  {0x1.0000000000000p+0, 0x1.02c9a3e778061p+0, 0x1.059b0d3158574p+0, 0x1.0874518759bc8p+0,     \
   0x1.0b5586cf9890fp+0, 0x1.0e3ec32d3d1a2p+0, 0x1.11301d0125b51p+0, 0x1.1429aaea92de0p+0,     \
   0x1.172b83c7d517bp+0, 0x1.1a35beb6fcb75p+0, 0x1.1d4873168b9aap+0, 0x1.2063b88628cd6p+0,     \
   0x1.2387a6e756238p+0, 0x1.26b4565e27cddp+0, 0x1.29e9df51fdee1p+0, 0x1.2d285a6e4030bp+0,     \
   0x1.306fe0a31b715p+0, 0x1.33c08b26416ffp+0, 0x1.371a7373aa9cbp+0, 0x1.3a7db34e59ff7p+0,     \
   0x1.3dea64c123422p+0, 0x1.4160a21f72e2ap+0, 0x1.44e086061892dp+0, 0x1.486a2b5c13cd0p+0,     \
   0x1.4bfdad5362a27p+0, 0x1.4f9b2769d2ca7p+0, 0x1.5342b569d4f82p+0, 0x1.56f4736b527dap+0,     \
   0x1.5ab07dd485429p+0, 0x1.5e76f15ad2148p+0, 0x1.6247eb03a5585p+0, 0x1.6623882552225p+0,     \
   0x1.6a09e667f3bcdp+0, 0x1.6dfb23c651a2fp+0, 0x1.71f75e8ec5f74p+0, 0x1.75feb564267c9p+0,     \
   0x1.7a11473eb0187p+0, 0x1.7e2f336cf4e62p+0, 0x1.82589994cce13p+0, 0x1.868d99b4492edp+0,     \
   0x1.8ace5422aa0dbp+0, 0x1.8f1ae99157736p+0, 0x1.93737b0cdc5e5p+0, 0x1.97d829fde4e50p+0,     \
   0x1.9c49182a3f090p+0, 0x1.a0c667b5de565p+0, 0x1.a5503b23e255dp+0, 0x1.a9e6b5579fdbfp+0,     \
   0x1.ae89f995ad3adp+0, 0x1.b33a2b84f15fbp+0, 0x1.b7f76f2fb5e47p+0, 0x1.bcc1e904bc1d2p+0,     \
   0x1.c199bdd85529cp+0, 0x1.c67f12e57d14bp+0, 0x1.cb720dcef9069p+0, 0x1.d072d4a07897cp+0,     \
   0x1.d5818dcfba487p+0, 0x1.da9e603db3285p+0, 0x1.dfc97337b9b5fp+0, 0x1.e502ee78b3ff6p+0,     \
   0x1.ea4afa2a490dap+0, 0x1.efa1bee615a27p+0, 0x1.f50765b6e4540p+0, 0x1.fa7c1819e90d8p+0}
#ifndef TS_CONSTANT
#define TS_CONSTANT __constant__
#endif
TS_CONSTANT const double kExp2Table[64] = TS_EXP2_TABLE;

// ---------------------------------------------------------------------------------------------
// Keys and weights

// Order-preserving image of a float: a < b (as floats) iff key(a) < key(b); -0 and +0 share one
// key, as they compare equal on the CPU.
TS_DEVICE uint32_t float_key(float v) {
  uint32_t u = __float_as_uint(v);
  if (u == 0x80000000u) u = 0;
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
TS_DEVICE float key_float(uint32_t k) {
  return __uint_as_float((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k);
}
// Weights are >= 0 (never -0), so their bit patterns are already ordered.
TS_DEVICE uint32_t weight_key(float w) { return __float_as_uint(w); }

// exp(y) for -700 < y <= 0 in double: 2^(k/64) from a table times a degree-5 polynomial on
// |r| <= ln2/128 (relative error about 3e-16).
TS_DEVICE double exp_core(double y, const double* table) {
  const double shifted = fma(y, 0x1.71547652b82fep+6, 0x1.8p52);  // y * 64/ln2 + 1.5 * 2^52
  const int k = __double2loint(shifted);                           // round(y * 64/ln2)
  const double kd = shifted - 0x1.8p52;
  double r = fma(-kd, 0x1.62e42fefa39efp-7, y);  // y - k * ln2/64, ln2/64 in two parts
  r = fma(-kd, 0x1.abc9e3b39803fp-62, r);
  double p = fma(r, 1.0 / 120.0, 1.0 / 24.0);
  p = fma(p, r, 1.0 / 6.0);
  p = fma(p, r, 0.5);
  p = fma(p, r, 1.0);
  p = fma(p, r, 1.0);
  const double scale = __hiloint2double((1023 + (k >> 6)) << 20, 0);  // 2^floor(k/64), k >= -64600
  return table[k & 63] * p * scale;
}

// exp(y) for y <= 0 in double (the online log-sum-exp's rescaling factor).
TS_DEVICE double exp_neg(double y, const double* table) {
  return y > -700.0 ? exp_core(y, table) : 0.0;  // below: < 1e-304, as good as 0 for a rescale
}

// exp(x) for x <= 0 as a float, computed in double and rounded once (the correctly rounded
// value except in about 1e-8 of cases).
TS_DEVICE float exp_weight(float x, const double* table) {
  if (!(x > -104.0f)) return 0.0f;  // below log(2^-150): rounds to 0 (also -inf and NaN)
  if (x > -0x1p-26f) return 1.0f;   // |x| < 2^-26: exp(x) rounds to 1
  return __double2float_rn(exp_core(double(x), table));
}

// The sampler's temperature weight: exp((l - max) / T), in the CPU's float operations.
TS_DEVICE float weight_of(float l, float max_logit, float temperature, const double* table) {
  const float d = __fsub_rn(l, max_logit);
  return exp_weight(temperature == 1.0f ? d : __fdiv_rn(d, temperature), table);  // d / 1 == d
}

TS_DEVICE float keep_finite(float before, float after) {
  if (!isfinite(before) || isfinite(after)) return after;
  return after > 0.0f ? FLT_MAX : -FLT_MAX;
}

// What survives the filters of a sampling row, as a predicate on (logit, id).
struct Survivors {
  float max_logit = 0.0f;
  float temperature = 1.0f;
  uint32_t topk_key = 0;       // top-k: float_key(l) >= topk_key (0: everything)
  float min_w = FLT_TRUE_MIN;  // min-p (and never an underflowed weight): w >= min_w
  uint32_t tau = 0;            // top-p: weight_key(w) > tau, or == tau and id <= id_cut
  int32_t id_cut = INT_MAX;

  TS_DEVICE bool keeps_weight(float w, int32_t id) const {
    if (!(w >= min_w)) return false;
    const uint32_t k = weight_key(w);
    return k > tau || (k == tau && id <= id_cut);
  }
  // The survivor's weight, or 0.
  TS_DEVICE float weight(float l, int32_t id, const double* table) const {
    if (float_key(l) < topk_key) return 0.0f;
    const float w = weight_of(l, max_logit, temperature, table);
    return keeps_weight(w, id) ? w : 0.0f;
  }
};

// ---------------------------------------------------------------------------------------------
// Block-wide reductions and scans. Every thread of the block calls them in the same order. Each
// call writes one of two scratch slots, synchronises once and reads back; alternating slots
// makes one barrier per call enough (a slot is rewritten only after the next call's barrier,
// which every thread reaches after its reads). Every thread sums the warps' partials in the
// same order, so all get bit-identical results.

template <int NT>
struct Block {
  static constexpr int kWarps = NT / 32;
  static_assert(NT % 32 == 0 && kWarps <= kMaxWarps, "block size");
  Smem& sm;
  int tid, lane, warp;
  int slot = 0;

  TS_DEVICE explicit Block(Smem& s) : sm(s), tid(int(threadIdx.x)), lane(int(threadIdx.x) & 31), warp(int(threadIdx.x) >> 5) {}

  template <class T>
  TS_DEVICE static T warp_sum(T v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFull, v, o);
    return v;
  }

  TS_DEVICE double sum(double v) {
    v = warp_sum(v);
    double* s = sm.red_d[slot];
    slot ^= 1;
    if (lane == 0) s[warp] = v;
    __syncthreads();
    double t = 0.0;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) t += s[w];
    return t;
  }
  TS_DEVICE int sum(int v) {
    v = warp_sum(v);
    int32_t* s = sm.red_i[slot];
    slot ^= 1;
    if (lane == 0) s[warp] = v;
    __syncthreads();
    int t = 0;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) t += s[w];
    return t;
  }
  // min / max of ints (uint32 keys are passed through as their bit patterns by the callers).
  TS_DEVICE int min(int v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) { const int y = __shfl_xor_sync(kFull, v, o); v = y < v ? y : v; }
    int32_t* s = sm.red_i[slot];
    slot ^= 1;
    if (lane == 0) s[warp] = v;
    __syncthreads();
    int t = s[0];
#pragma unroll
    for (int w = 1; w < kWarps; ++w) t = s[w] < t ? s[w] : t;
    return t;
  }
  TS_DEVICE int max(int v) { return -min(-v); }  // callers never pass INT_MIN
  TS_DEVICE uint32_t min_u(uint32_t v) { return uint32_t(min(int(v ^ 0x80000000u))) ^ 0x80000000u; }
  TS_DEVICE uint32_t max_u(uint32_t v) { return ~min_u(~v); }

  // Largest value and the lowest id holding it.
  TS_DEVICE void max_with_id(float& m, int& id) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
      const float om = __shfl_xor_sync(kFull, m, o);
      const int oid = __shfl_xor_sync(kFull, id, o);
      if (om > m || (om == m && oid < id)) m = om, id = oid;
    }
    double* s = sm.red_d[slot];
    int32_t* si = sm.red_i[slot];
    slot ^= 1;
    if (lane == 0) s[warp] = double(m), si[warp] = id;
    __syncthreads();
    m = float(s[0]), id = si[0];
#pragma unroll
    for (int w = 1; w < kWarps; ++w) {
      const float om = float(s[w]);
      if (om > m || (om == m && si[w] < id)) m = om, id = si[w];
    }
  }

  // Sums of K counters and K masses at once (one barrier).
  template <int K>
  TS_DEVICE void sum_vec(int (&c)[K], double (&d)[K], bool with_mass) {
    static_assert(K <= kVecSlots, "vector reduction too wide");
    int32_t* si = sm.red_i[slot];
    double* sd = sm.red_d[slot];
    slot ^= 1;
#pragma unroll
    for (int j = 0; j < K; ++j) {
      const int v = warp_sum(c[j]);
      if (lane == 0) si[warp * K + j] = v;
      if (with_mass) {
        const double m = warp_sum(d[j]);
        if (lane == 0) sd[warp * K + j] = m;
      }
    }
    __syncthreads();
#pragma unroll
    for (int j = 0; j < K; ++j) {
      int t = 0;
      double m = 0.0;
      for (int w = 0; w < kWarps; ++w) {
        t += si[w * K + j];
        if (with_mass) m += sd[w * K + j];
      }
      c[j] = t;
      d[j] = m;
    }
  }

  // Exclusive prefix sum over threads in thread order; `total` gets the block's sum.
  TS_DEVICE int exclusive_scan(int v, int& total) {
    int incl = v;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
      const int y = __shfl_up_sync(kFull, incl, o);
      if (lane >= o) incl += y;
    }
    int32_t* s = sm.red_i[slot];
    slot ^= 1;
    if (lane == 31) s[warp] = incl;
    __syncthreads();
    int offset = 0, t = 0;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) {
      if (w < warp) offset += s[w];
      t += s[w];
    }
    total = t;
    return offset + incl - v;
  }
  TS_DEVICE double exclusive_scan(double v, double& total) {
    double incl = v;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
      const double y = __shfl_up_sync(kFull, incl, o);
      if (lane >= o) incl += y;
    }
    double excl = __shfl_up_sync(kFull, incl, 1);
    if (lane == 0) excl = 0.0;
    double* s = sm.red_d[slot];
    slot ^= 1;
    if (lane == 31) s[warp] = incl;
    __syncthreads();
    double offset = 0.0, t = 0.0;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) {
      if (w < warp) offset += s[w];
      t += s[w];
    }
    total = t;
    return offset + excl;
  }
};

// ---------------------------------------------------------------------------------------------
// Loads

template <int VEC>
TS_DEVICE void load_tile(const float* x, int vocab, int base, float (&v)[kEpt]) {
  if constexpr (VEC == 4) {
    // vocab % 4 == 0 and x 16-byte aligned: a thread's 8 elements are all in, the first 4, or none.
    if (base + 8 <= vocab) {
      TS_LOAD4(x + base, v, 0);
      TS_LOAD4(x + base + 4, v, 4);
    } else if (base + 4 <= vocab) {
      TS_LOAD4(x + base, v, 0);
#pragma unroll
      for (int i = 4; i < kEpt; ++i) v[i] = -INFINITY;
    } else {
#pragma unroll
      for (int i = 0; i < kEpt; ++i) v[i] = -INFINITY;
    }
  } else {
#pragma unroll
    for (int i = 0; i < kEpt; ++i) v[i] = base + i < vocab ? x[base + i] : -INFINITY;
  }
}

// ---------------------------------------------------------------------------------------------
// One row

template <int NT, int VEC>
struct RowSampler {
  static constexpr int kTile = NT * kEpt;
  Block<NT> blk;
  Smem& sm;
  float* x;
  int vocab;
  int ntiles;
  const double* table;
  int passes = 0;
  int path = 0;
  int last_candidates = 0;

  TS_DEVICE RowSampler(Smem& s, float* row, int v)
      : blk(s), sm(s), x(row), vocab(v), ntiles((v + kTile - 1) / kTile), table(s.exp_table) {}

  // f(values, first id, number of valid values) for every tile, in order, called by every
  // thread (so f may use block-wide operations).
  template <class F>
  TS_DEVICE void for_each_tile(F&& f) {
    ++passes;
    float cur[kEpt], nxt[kEpt];
    const int offset = blk.tid * kEpt;
    load_tile<VEC>(x, vocab, offset, cur);
    for (int g = 0; g < ntiles; ++g) {
      const int base = g * kTile + offset;
      if (g + 1 < ntiles) load_tile<VEC>(x, vocab, base + kTile, nxt);
      const int n = vocab - base < 0 ? 0 : (vocab - base > kEpt ? kEpt : vocab - base);
      f(cur, base, n);
#pragma unroll
      for (int i = 0; i < kEpt; ++i) cur[i] = nxt[i];
    }
  }

  // -- passes ---------------------------------------------------------------------------------

  struct Stats {
    float max_logit;
    int argmax;
    double lse;
  };

  // Max, argmax, log-sum-exp, the two largest per thread (into sm.top2), and the `n_top` best
  // (id, logprob) written to top_ids / top_lp (when not null).
  TS_PHASE Stats raw_pass(int n_top, int32_t* top_ids, float* top_lp) {
    const int lane = blk.lane;
    // Log-sum-exp online, relative to this thread's running maximum m: rescaled (in double)
    // at most once per tile, so every term is a float exp of a value <= 0 and the maximum's own
    // term is exactly 1, as on the CPU.
    float m = -INFINITY, a = -INFINITY, b = -INFINITY;
    double s = 0.0;
    int best = INT_MAX;
    // This lane's entry of the warp's sorted top list, and the list's worst entry (the one a
    // newcomer must beat) as (logit, id) for a cheap first test.
    unsigned long long entry = 0, thr = 0;
    float thr_l = -INFINITY;
    int thr_id = INT_MAX;
    for_each_tile([&](const float (&v)[kEpt], int base, int n) {
      float tmax = -INFINITY;
#pragma unroll
      for (int i = 0; i < kEpt; ++i) {
        if (i < n && v[i] > tmax) tmax = v[i];
      }
      if (tmax > m) {
        if (m > -INFINITY) s *= exp_neg(double(m) - double(tmax), table);
        m = tmax;
        best = INT_MAX;  // the new maximum's first occurrence is in this tile
      }
#pragma unroll
      for (int i = 0; i < kEpt; ++i) {
        const float l = v[i];
        const bool valid = i < n;
        if (valid) {
          if (l == m && best == INT_MAX) best = base + i;  // first occurrence of the running max
          if (l > -INFINITY) s += double(expf(__fsub_rn(l, m)));
          if (l > a) b = a, a = l;
          else if (l > b) b = l;
        }
        if (n_top > 0) {
          const int id = base + i;
          unsigned want = __ballot_sync(kFull, valid && (l > thr_l || (l == thr_l && id < thr_id)));
          if (want) {
            // Key: logit key above, ~id below, so larger is better and ties go to the lower id.
            const unsigned long long key =
                valid ? (static_cast<unsigned long long>(float_key(l)) << 32) | uint32_t(~uint32_t(id)) : 0ull;
            while (want) {
              const int src = __ffs(int(want)) - 1;
              want &= want - 1;
              const unsigned long long c = __shfl_sync(kFull, key, src);
              if (c <= thr) continue;
              const int pos = __popc(__ballot_sync(kFull, lane < n_top && entry > c));
              const unsigned long long up = __shfl_up_sync(kFull, entry, 1);
              if (lane < n_top) {
                if (lane == pos) entry = c;
                else if (lane > pos) entry = up;
              }
              thr = __shfl_sync(kFull, entry, n_top - 1);
            }
            if (thr != 0) thr_l = key_float(uint32_t(thr >> 32)), thr_id = int(~uint32_t(thr));
          }
        }
      }
    });
    sm.top2[2 * blk.tid] = a;
    sm.top2[2 * blk.tid + 1] = b;
    float max_logit = m;
    int argmax = best;
    blk.max_with_id(max_logit, argmax);
    const double scaled = m == -INFINITY || max_logit == -INFINITY ? 0.0 : s * exp(double(m) - double(max_logit));
    const double lse = log(blk.sum(scaled));

    if (top_ids != nullptr) {
      if (blk.tid < kTopN) top_ids[blk.tid] = -1, top_lp[blk.tid] = -INFINITY;
      if (n_top > 0) {
        if (lane < n_top) sm.topn[blk.warp * n_top + lane] = entry;
        __syncthreads();
        const int total = Block<NT>::kWarps * n_top;
        for (int t = blk.tid; t < total; t += NT) {
          const unsigned long long e = sm.topn[t];
          if (e == 0) continue;
          int rank = 0;
          for (int u = 0; u < total; ++u) rank += sm.topn[u] > e;
          if (rank < n_top) {
            const float l = key_float(uint32_t(e >> 32));
            top_ids[rank] = int32_t(~uint32_t(e));
            top_lp[rank] = float(double(__fsub_rn(l, max_logit)) - lse);
          }
        }
      }
    }
    return {max_logit, argmax, lse};
  }

  // Max, argmax and the two largest per thread, after the transforms.
  TS_PHASE void transformed_pass(float& max_logit, int& argmax) {
    float m = -INFINITY, a = -INFINITY, b = -INFINITY;
    int best = INT_MAX;
    for_each_tile([&](const float (&v)[kEpt], int base, int n) {
#pragma unroll
      for (int i = 0; i < kEpt; ++i) {
        if (i >= n) continue;
        const float l = v[i];
        if (l > m) m = l, best = base + i;
        if (l > a) b = a, a = l;
        else if (l > b) b = l;
      }
    });
    sm.top2[2 * blk.tid] = a;
    sm.top2[2 * blk.tid + 1] = b;
    blk.max_with_id(m, best);
    max_logit = m;
    argmax = best;
  }

  // Applies the row's transforms in place. True if a logit changed.
  TS_PHASE bool apply_transforms(const GpuSamplingRow& p, GpuTokenAdjustment* adj, const int32_t* suppressed) {
    bool changed = false;
    const bool repetition = p.repetition_penalty != 1.0f;
    const bool freq_presence = p.frequency_penalty != 0.0f || p.presence_penalty != 0.0f;
    for (int i = p.adjust_begin + blk.tid; i < p.adjust_end; i += NT) {
      const GpuTokenAdjustment e = adj[i];
      if (e.token < 0 || e.token >= vocab) continue;
      const float raw = x[e.token];
      adj[i].raw_logit = raw;
      float v = raw;
      if (e.bias != 0.0f) v = keep_finite(v, __fadd_rn(v, e.bias));
      if (repetition && (e.in_prompt != 0 || e.output_count > 0)) {
        v = keep_finite(v, v > 0.0f ? __fdiv_rn(v, p.repetition_penalty) : __fmul_rn(v, p.repetition_penalty));
      }
      if (freq_presence && e.output_count > 0) {
        const float before = v;
        v = __fsub_rn(v, __fmul_rn(p.frequency_penalty, float(e.output_count)));  // two roundings, as vLLM
        v = __fsub_rn(v, p.presence_penalty);
        v = keep_finite(before, v);
      }
      if (v != raw) {
        x[e.token] = v;
        changed = true;
      }
    }
    __syncthreads();  // a token may be both adjusted and suppressed: suppression last
    for (int i = p.suppress_begin + blk.tid; i < p.suppress_end; i += NT) {
      const int32_t t = suppressed[i];
      if (t < 0 || t >= vocab) continue;
      if (x[t] != -INFINITY) {
        x[t] = -INFINITY;
        changed = true;
      }
    }
    return __syncthreads_or(changed) != 0;
  }

  // Key of the k-th largest of the 2 * NT values in sm.top2 (k <= 2 * NT).
  TS_PHASE uint32_t top2_kth_key(int k) {
    const uint32_t ka = float_key(sm.top2[2 * blk.tid]), kb = float_key(sm.top2[2 * blk.tid + 1]);
    uint32_t lo = 0, hi = 0xffffffffu;  // largest t with count(key >= t) >= k
    while (lo < hi) {
      const uint32_t mid = lo + uint32_t((uint64_t(hi - lo) + 1) / 2);
      const int c = __syncthreads_count(ka >= mid) + __syncthreads_count(kb >= mid);
      if (c >= k) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  // Gathers, in id order, the valid elements for which take(l, id, val, mass) is true into
  // sm.cand_id / sm.cand_val (the first kCap of them). Returns how many there were (> kCap:
  // overflow). `mass` accumulates whatever take adds (summed over the block into *mass_out).
  // With tile_sums, what take adds in each tile goes to sm.tile_sum[tile] instead.
  template <class Take>
  TS_PHASE int gather(Take&& take, double* mass_out, bool tile_sums = false) {
    int count = 0;
    double mass = 0.0;
    int g = 0;
    for_each_tile([&](const float (&v)[kEpt], int base, int n) {
      bool took[kEpt];
      float val[kEpt];
      int c = 0;
      double tile_mass = 0.0;
#pragma unroll
      for (int i = 0; i < kEpt; ++i) {
        took[i] = i < n && take(v[i], base + i, val[i], tile_mass);
        c += took[i];
      }
      if (tile_sums) {
        const double t = blk.sum(tile_mass);
        if (blk.tid == 0) sm.tile_sum[g] = t;
      } else {
        mass += tile_mass;
      }
      ++g;
      int total;
      int pos = count + blk.exclusive_scan(c, total);
#pragma unroll
      for (int i = 0; i < kEpt; ++i) {
        if (!took[i]) continue;
        if (pos < kCap) sm.cand_id[pos] = base + i, sm.cand_val[pos] = val[i];
        ++pos;
      }
      count += total;
    });
    if (mass_out != nullptr) *mass_out = blk.sum(mass);
    __syncthreads();
    last_candidates = count;
    return count;
  }

  // Refinement passes for the top-k threshold: invariant count(key >= lo) >= k > count(key >= hi).
  // Returns the k-th largest logit's key.
  TS_PHASE uint32_t refine_topk(uint32_t lo, uint32_t hi, int k) {
    path |= kGpuPathTopKRefined;
    for (int iter = 0; iter < 12; ++iter) {
      if (hi - lo <= 1) return lo;
      uint32_t q[17];
      int c[17];
      double unused[17];
#pragma unroll
      for (int j = 0; j < 17; ++j) q[j] = lo + uint32_t((uint64_t(hi - lo) * uint64_t(j)) >> 4), c[j] = 0, unused[j] = 0.0;
      for_each_tile([&](const float (&v)[kEpt], int, int n) {
#pragma unroll
        for (int i = 0; i < kEpt; ++i) {
          if (i >= n) continue;
          const uint32_t key = float_key(v[i]);
#pragma unroll
          for (int j = 0; j < 17; ++j) c[j] += key >= q[j];
        }
      });
      blk.sum_vec(c, unused, false);
      int sel = 0;
#pragma unroll
      for (int j = 1; j < 16; ++j)
        if (c[j] >= k) sel = j;
      int in_bin = 0, above = 0;
#pragma unroll
      for (int j = 0; j < 16; ++j)
        if (j == sel) lo = q[j], hi = q[j + 1], in_bin = c[j] - c[j + 1], above = c[j + 1];
      if (hi - lo <= 1) return lo;
      if (in_bin <= kCap) {
        const uint32_t blo = lo, bhi = hi;
        const int n = gather(
            [&](float l, int, float& val, double&) {
              const uint32_t key = float_key(l);
              val = l;
              return key >= blo && key < bhi;
            },
            nullptr);
        return list_kth_largest_key(n < kCap ? n : kCap, k - above);
      }
    }
    return lo;  // not reached: the interval shrinks 16-fold per pass
  }

  struct ToppRefined {
    int kind;  // 0: ran out (every candidate >= lo survives), 1: single key, 2: interval to gather
    uint32_t lo, hi;
    double mass_above;  // mass with key >= hi
    int count;          // elements in [lo, hi)
  };

  // Refinement passes for the top-p threshold over weight keys in [lo, hi):
  // mass(key >= hi) < target (checked), target <= mass(key >= lo) (else: ran out).
  TS_PHASE ToppRefined refine_topp(uint32_t lo, uint32_t hi, double target, const Survivors& sv) {
    path |= kGpuPathTopPRefined;
    for (int iter = 0; iter < 16; ++iter) {
      uint32_t q[9];
      int c[9];
      double s[9];
#pragma unroll
      for (int j = 0; j < 9; ++j) q[j] = lo + uint32_t((uint64_t(hi - lo) * uint64_t(j)) >> 3), c[j] = 0, s[j] = 0.0;
      for_each_tile([&](const float (&v)[kEpt], int, int n) {
#pragma unroll
        for (int i = 0; i < kEpt; ++i) {
          if (i >= n || float_key(v[i]) < sv.topk_key) continue;
          const float w = weight_of(v[i], sv.max_logit, sv.temperature, table);
          const uint32_t key = weight_key(w);
#pragma unroll
          for (int j = 0; j < 9; ++j)
            if (key >= q[j]) ++c[j], s[j] += double(w);
        }
      });
      blk.sum_vec(c, s, true);
      if (!(s[0] >= target)) return {0, lo, hi, 0.0, 0};
      int sel = 0;
#pragma unroll
      for (int j = 1; j < 8; ++j)
        if (s[j] >= target) sel = j;
      ToppRefined r{2, lo, hi, 0.0, 0};
#pragma unroll
      for (int j = 0; j < 8; ++j)
        if (j == sel) r.lo = q[j], r.hi = q[j + 1], r.mass_above = s[j + 1], r.count = c[j] - c[j + 1];
      lo = r.lo, hi = r.hi;
      if (hi - lo <= 1) {
        r.kind = 1;
        return r;
      }
      if (r.count <= kCap) return r;
    }
    return {1, lo, lo + 1, 0.0, 0};  // not reached: the interval shrinks 8-fold per pass
  }

  // Id of the j-th (1-based, in id order) token whose weight key is tau (and passes top-k).
  TS_PHASE int nth_tie_id(const Survivors& sv, uint32_t tau, int j) {
    ++passes;
    int running = 0;
    for (int g = 0; g < ntiles; ++g) {
      const int base = g * kTile + blk.tid * kEpt;
      float v[kEpt];
      load_tile<VEC>(x, vocab, base, v);
      const int n = vocab - base < 0 ? 0 : (vocab - base > kEpt ? kEpt : vocab - base);
      bool tie[kEpt];
      int c = 0;
#pragma unroll
      for (int i = 0; i < kEpt; ++i) {
        tie[i] = i < n && float_key(v[i]) >= sv.topk_key &&
                 weight_key(weight_of(v[i], sv.max_logit, sv.temperature, table)) == tau;
        c += tie[i];
      }
      int total;
      const int excl = blk.exclusive_scan(c, total);
      if (running + total >= j) {
        if (running + excl < j && j <= running + excl + c) {
          int r = running + excl;
#pragma unroll
          for (int i = 0; i < kEpt; ++i)
            if (tie[i] && ++r == j) sm.misc_i[1] = base + i;
        }
        __syncthreads();
        return sm.misc_i[1];
      }
      running += total;
    }
    return INT_MAX;
  }

  // -- shared-memory list helpers (list = sm.cand_id / sm.cand_val [0, n), in id order) ---------

  TS_DEVICE void chunk(int n, int& b, int& e) const {
    const int c = (n + NT - 1) / NT;
    b = blk.tid * c < n ? blk.tid * c : n;
    e = b + c < n ? b + c : n;
  }

  // Key of the k-th largest logit in the list (1 <= k <= n).
  TS_PHASE uint32_t list_kth_largest_key(int n, int k) {
    uint32_t lo = 0, hi = 0xffffffffu;
    while (lo < hi) {
      const uint32_t mid = lo + uint32_t((uint64_t(hi - lo) + 1) / 2);
      int c = 0;
      for (int i = blk.tid; i < n; i += NT) c += float_key(sm.cand_val[i]) >= mid;
      if (blk.sum(c) >= k) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  // Id of the j-th (1-based, in list order) entry for which pred(i); INT_MAX if none.
  template <class Pred>
  TS_DEVICE int list_nth_id(int n, int j, Pred&& pred) {
    int b, e;
    chunk(n, b, e);
    int c = 0;
    for (int i = b; i < e; ++i) c += pred(i);
    int total;
    const int excl = blk.exclusive_scan(c, total);
    if (blk.tid == 0) sm.misc_i[0] = INT_MAX;
    __syncthreads();
    if (excl < j && j <= excl + c) {
      int r = excl;
      for (int i = b; i < e; ++i)
        if (pred(i) && ++r == j) {
          sm.misc_i[0] = sm.cand_id[i];
          break;
        }
    }
    __syncthreads();
    return sm.misc_i[0];
  }

  // Top-p over the list's weights (entries with w >= sv.min_w considered), given the mass of
  // the tokens above the list (all survivors) and the target. Sets sv.tau / sv.id_cut; when the
  // mass runs out first, every considered entry survives (sv.tau = ranout_tau).
  TS_PHASE void list_topp(int n, double mass_above, double target, uint32_t ranout_tau, Survivors& sv) {
    uint32_t kmin = 0xffffffffu, kmax = 0;
    double part = 0.0;
    for (int i = blk.tid; i < n; i += NT) {
      const float w = sm.cand_val[i];
      if (!(w >= sv.min_w)) continue;
      const uint32_t k = weight_key(w);
      kmin = k < kmin ? k : kmin;
      kmax = k > kmax ? k : kmax;
      part += double(w);
    }
    kmin = blk.min_u(kmin);
    kmax = blk.max_u(kmax);
    const double all = mass_above + blk.sum(part);
    if (kmax < kmin || !(all >= target)) {
      sv.tau = ranout_tau, sv.id_cut = INT_MAX;
      return;
    }
    // Largest key t with mass(key >= t) >= target: mass(>= kmin) = all >= target, mass(> kmax)
    // = mass_above < target.
    uint32_t lo = kmin, hi = kmax + 1;
    while (hi - lo > 1) {
      const uint32_t mid = lo + (hi - lo) / 2;
      double m = 0.0;
      for (int i = blk.tid; i < n; i += NT) {
        const float w = sm.cand_val[i];
        if (w >= sv.min_w && weight_key(w) >= mid) m += double(w);
      }
      if (mass_above + blk.sum(m) >= target) lo = mid;
      else hi = mid;
    }
    const uint32_t tau = lo;
    double gt = 0.0;
    int ties = 0;
    for (int i = blk.tid; i < n; i += NT) {
      const float w = sm.cand_val[i];
      if (!(w >= sv.min_w)) continue;
      if (weight_key(w) > tau) gt += double(w);
      else if (weight_key(w) == tau) ++ties;
    }
    const double above = mass_above + blk.sum(gt);
    ties = blk.sum(ties);
    const int j = ties_needed(above, __uint_as_float(tau), ties, target);
    sv.tau = tau;
    sv.id_cut = list_nth_id(n, j, [&](int i) { const float w = sm.cand_val[i]; return w >= sv.min_w && weight_key(w) == tau; });
  }

  // Smallest j in [1, ties] with above + j * w >= target (the CPU adds the tied weights one by
  // one after the heavier tokens; this is the same count up to double rounding).
  TS_DEVICE static int ties_needed(double above, float w, int ties, double target) {
    if (ties <= 1) return 1;
    const double need = (target - above) / double(w);
    long long j = need <= 1.0 ? 1 : (need >= double(ties) ? ties : (long long)ceil(need));
    while (j > 1 && above + double(j - 1) * double(w) >= target) --j;
    while (j < ties && above + double(j) * double(w) < target) ++j;
    return int(j);
  }

  // The survivor weight of list entry i.
  TS_DEVICE float list_weight(int i, const Survivors& sv) const {
    const float w = sm.cand_val[i];
    return sv.keeps_weight(w, sm.cand_id[i]) ? w : 0.0f;
  }

  // Adds the list's survivors to sm.tile_sum (the list is in id order: one thread per tile
  // finds its range by binary search).
  TS_PHASE void add_list_survivors_to_tiles(int n, const Survivors& sv) {
    __syncthreads();
    for (int g = blk.tid; g < ntiles; g += NT) {
      int lo = 0, hi = n;  // first entry with id >= g * kTile
      while (lo < hi) {
        const int mid = (lo + hi) / 2;
        if (sm.cand_id[mid] < g * kTile) lo = mid + 1;
        else hi = mid;
      }
      double s = 0.0;
      for (int i = lo; i < n && sm.cand_id[i] < (g + 1) * kTile; ++i) s += double(list_weight(i, sv));
      sm.tile_sum[g] += s;
    }
    __syncthreads();
  }

  // Inverse CDF over the list's survivors in id order: the first whose cumulative weight
  // exceeds u * total (the last survivor if rounding leaves none).
  TS_PHASE int list_walk(int n, const Survivors& sv, double u, double& total_out) {
    int b, e;
    chunk(n, b, e);
    double s = 0.0;
    for (int i = b; i < e; ++i) s += double(list_weight(i, sv));
    double total;
    double cum = blk.exclusive_scan(s, total);
    const double target = u * total;
    int found = INT_MAX, last = -1;
    for (int i = b; i < e; ++i) {
      const float w = list_weight(i, sv);
      if (w > 0.0f) {
        last = i;
        cum += double(w);
        if (cum > target) {
          found = i;
          break;
        }
      }
    }
    int f = blk.min(found);
    if (f == INT_MAX) f = blk.max(last);
    total_out = total;
    return f < 0 ? -1 : sm.cand_id[f];
  }

  // Per-tile survivor mass into sm.tile_sum, then the walk: the tile where the cumulative mass
  // crosses u * total is read again and scanned.
  TS_PHASE int tile_walk(const Survivors& sv, double u, int fallback, double& total_out, bool have_sums = false) {
    path |= kGpuPathTileWalk;
    if (!have_sums) {
      int g = 0;
      for_each_tile([&](const float (&v)[kEpt], int base, int n) {
        double s = 0.0;
#pragma unroll
        for (int i = 0; i < kEpt; ++i)
          if (i < n) s += double(sv.weight(v[i], base + i, table));
        const double t = blk.sum(s);
        if (blk.tid == 0) sm.tile_sum[g] = t;
        ++g;
      });
    }
    __syncthreads();
    double total = 0.0;
    for (int t = 0; t < ntiles; ++t) total += sm.tile_sum[t];
    double target = u * total;
    double before = 0.0;
    int sel = -1, last_nonzero = -1;
    double before_last = 0.0;
    for (int t = 0; t < ntiles; ++t) {
      const double ts = sm.tile_sum[t];
      if (ts > 0.0) last_nonzero = t, before_last = before;
      if (before + ts > target) {
        sel = t;
        break;
      }
      before += ts;
    }
    if (sel < 0) {  // rounding: take the last survivor
      sel = last_nonzero, before = before_last, target = INFINITY;
    }
    total_out = total;
    if (sel < 0) return fallback;
    const int base = sel * kTile + blk.tid * kEpt;
    float v[kEpt];
    load_tile<VEC>(x, vocab, base, v);
    const int n = vocab - base < 0 ? 0 : (vocab - base > kEpt ? kEpt : vocab - base);
    float w[kEpt];
    double s = 0.0;
#pragma unroll
    for (int i = 0; i < kEpt; ++i) {
      w[i] = i < n ? sv.weight(v[i], base + i, table) : 0.0f;
      s += double(w[i]);
    }
    double tile_total;
    double cum = before + blk.exclusive_scan(s, tile_total);
    int found = INT_MAX, last = -1;
#pragma unroll
    for (int i = 0; i < kEpt; ++i) {
      if (w[i] > 0.0f && found == INT_MAX) {
        last = base + i;
        cum += double(w[i]);
        if (cum > target) found = base + i;
      }
    }
    int f = blk.min(found);
    if (f == INT_MAX) f = blk.max(last);
    return f < 0 ? fallback : f;
  }

  // -- the sampling decision ------------------------------------------------------------------

  // Sampling (non-greedy) rows: sets sv (the survivor predicate) and returns the token.
  TS_PHASE int sample(const GpuSamplingRow& p, float max_logit, int argmax, bool topk_on, Survivors& sv,
                       double& total) {
    sv.max_logit = max_logit;
    sv.temperature = p.temperature;
    sv.min_w = p.min_p > 0.0f && p.min_p > FLT_TRUE_MIN ? p.min_p : FLT_TRUE_MIN;
    const bool topp_on = p.top_p < 1.0f;
    const double u = p.uniform;

    if (topk_on) {
      const int k = p.top_k;
      const uint32_t lo = k <= 2 * NT ? top2_kth_key(k) : kNegInfKey;
      const int n = gather(
          [&](float l, int, float& val, double&) {
            val = l;
            return float_key(l) >= lo;
          },
          nullptr);
      if (n <= kCap) {
        // The whole top-k set is in shared memory: finish on chip.
        path |= kGpuPathTopKList;
        sv.topk_key = list_kth_largest_key(n, k);
        double mass = 0.0;
        for (int i = blk.tid; i < n; i += NT) {
          const float l = sm.cand_val[i];
          const float w = float_key(l) >= sv.topk_key ? weight_of(l, sv.max_logit, sv.temperature, table) : 0.0f;
          sm.cand_val[i] = w;
          mass += double(w);
        }
        mass = blk.sum(mass);  // (its barrier also publishes the weights)
        if (topp_on) list_topp(n, 0.0, double(p.top_p) * mass, 0, sv);
        return list_walk(n, sv, u, total);
      }
      sv.topk_key = refine_topk(lo, float_key(max_logit) + 1, k);
    }

    if (topp_on) {
      // Gather the tokens that can be in the nucleus. Two lower bounds on its lightest weight:
      //  - proven: tokens lighter than (1 - top_p) / vocab (mass >= 1) can never be in it;
      //  - guessed: the weight of the 1024th largest of the per-thread top-2 logits (at or
      //    below the 1024th largest logit). Usually far tighter; valid if the gathered tokens
      //    reach the target mass, checked below.
      const double never = (1.0 - double(p.top_p)) / double(vocab) * (1.0 - 1e-5);
      float lo_w = __double2float_rd(never);
      lo_w = lo_w > sv.min_w ? lo_w : sv.min_w;
      const int kh = 2 * NT < kTopPGuessRank ? 2 * NT : kTopPGuessRank;
      const float guess_logit = key_float(top2_kth_key(kh));
      const float guess_w = weight_of(guess_logit, sv.max_logit, sv.temperature, table);
      const float lo_g = guess_w > lo_w ? guess_w : lo_w;
      double mass = 0.0;
      const uint32_t topk_key = sv.topk_key;
      const int n = gather(
          [&](float l, int, float& val, double& m) {
            if (float_key(l) < topk_key) return false;
            const float w = weight_of(l, sv.max_logit, sv.temperature, table);
            m += double(w);
            val = w;
            return w >= lo_g;
          },
          &mass);
      const double target = double(p.top_p) * mass;
      if (n <= kCap) {
        bool holds_nucleus = lo_g == lo_w;  // the proven bound: nothing to check
        if (!holds_nucleus) {
          double part = 0.0;
          for (int i = blk.tid; i < n; i += NT) part += double(sm.cand_val[i]);
          holds_nucleus = blk.sum(part) >= target;
        }
        if (holds_nucleus) {
          path |= kGpuPathTopPList;
          list_topp(n, 0.0, target, weight_key(lo_g) - 1, sv);
          return list_walk(n, sv, u, total);
        }
      }
      // The nucleus candidates do not fit (or the guess was too high): narrow the threshold
      // with counting passes.
      const double bound = (1.0 - double(p.top_p)) * mass / double(vocab) * (1.0 - 1e-5);
      float lo_b = __double2float_rd(bound);
      lo_b = lo_b > lo_w ? lo_b : lo_w;
      const ToppRefined r = refine_topp(weight_key(lo_b), weight_key(1.0f) + 1, target, sv);
      if (r.kind == 0) {
        sv.tau = r.lo - 1, sv.id_cut = INT_MAX;
      } else if (r.kind == 1) {
        const float w = __uint_as_float(r.lo);
        sv.tau = r.lo;
        sv.id_cut = nth_tie_id(sv, r.lo, ties_needed(r.mass_above, w, r.count, target));
      } else {
        // Gather the interval; the tokens above it are all survivors: sum them per tile on
        // the way, so the walk needs no pass of its own.
        const uint32_t blo = r.lo, bhi = r.hi;
        const int m = gather(
            [&](float l, int, float& val, double& above) {
              if (float_key(l) < topk_key) return false;
              const float w = weight_of(l, sv.max_logit, sv.temperature, table);
              val = w;
              const uint32_t key = weight_key(w);
              if (key >= bhi) above += double(w);
              return key >= blo && key < bhi;
            },
            nullptr, true);
        const int listed = m < kCap ? m : kCap;
        list_topp(listed, r.mass_above, target, blo - 1, sv);
        add_list_survivors_to_tiles(listed, sv);
        return tile_walk(sv, u, argmax, total, true);
      }
    }
    return tile_walk(sv, u, argmax, total);
  }
};

// The whole block's work on one row.
template <int NT, int VEC>
TS_DEVICE void sample_row(const GpuSamplingBatch& b, const GpuSamplingDebug& dbg, Smem& sm, int row) {
  if (threadIdx.x < 64) sm.exp_table[threadIdx.x] = kExp2Table[threadIdx.x];
  __syncthreads();
  const GpuSamplingRow p = b.params[row];
  const int vocab = b.vocab;
  float* x = b.logits + size_t(row) * size_t(vocab);
  RowSampler<NT, VEC> rs(sm, x, vocab);
  const int tid = int(threadIdx.x);

  const int n_top = p.num_logprobs < 0 ? 0 : (p.num_logprobs > kTopN ? kTopN : p.num_logprobs);
  const bool greedy = !(p.temperature >= kGreedyTemperature);
  const bool topk_on = !greedy && p.top_k > 0 && p.top_k < vocab;
  int32_t* top_ids = b.out_top_ids != nullptr ? b.out_top_ids + size_t(row) * kTopN : nullptr;
  float* top_lp = b.out_top_ids != nullptr ? b.out_top_logprobs + size_t(row) * kTopN : nullptr;

  const auto raw = rs.raw_pass(n_top, top_ids, top_lp);
  float max_logit = raw.max_logit;
  int argmax = raw.argmax;
  const bool lists = p.adjust_end > p.adjust_begin || p.suppress_end > p.suppress_begin;
  if (lists && raw.max_logit != -INFINITY && rs.apply_transforms(p, b.adjustments, b.suppressed_tokens)) {
    rs.path |= kGpuPathTransformed;
    rs.transformed_pass(max_logit, argmax);
  }

  int token = -1;
  double total = 1.0;
  Survivors sv;
  if (max_logit == -INFINITY || raw.max_logit == -INFINITY || !(max_logit == max_logit)) {
    rs.path |= kGpuPathInvalidRow;
  } else if (greedy) {
    rs.path |= kGpuPathGreedy;
    token = argmax;
  } else {
    token = rs.sample(p, max_logit, argmax, topk_on, sv, total);
  }

  // The chosen token's raw logprob: its logit before the transforms.
  float logprob = NAN;
  if (token >= 0) {
    if (tid == 0) sm.misc_i[2] = 0;
    __syncthreads();
    for (int i = p.adjust_begin + tid; i < p.adjust_end; i += NT) {
      if (b.adjustments[i].token == token) sm.misc_i[2] = 1, sm.misc_f[2] = b.adjustments[i].raw_logit;
    }
    __syncthreads();
    const float raw_logit = sm.misc_i[2] ? sm.misc_f[2] : x[token];
    logprob = float(double(__fsub_rn(raw_logit, raw.max_logit)) - raw.lse);
  }

  if (dbg.survivor_weights != nullptr) {
    float* out = dbg.survivor_weights + size_t(row) * size_t(vocab);
    for (int i = tid; i < vocab; i += NT) {
      float w = 0.0f;
      if (token >= 0) w = greedy ? (i == token ? 1.0f : 0.0f) : sv.weight(x[i], i, rs.table);
      out[i] = w;
    }
    if (tid == 0) dbg.survivor_total[row] = token >= 0 ? total : 0.0;
  }
  if (tid == 0) {
    b.out_tokens[row] = token;
    b.out_logprobs[row] = logprob;
    if (b.workspace != nullptr) {
      GpuSamplingRowStats* st = static_cast<GpuSamplingRowStats*>(b.workspace) + row;
      st->path = rs.path;
      st->passes = rs.passes;
      st->candidates = rs.last_candidates;
      st->reserved = 0;
    }
  }
}

}  // namespace turbine::cuda::sampling_detail
