// Tensor-core paged attention (FlashAttention-2 style) for the flat batch. Included by
// paged_attention.cu alone; the planner there picks the configuration.
//
// Why it is shaped so:
//  - Rows, not tokens. A block owns a tile of "query rows" of one sequence and one KV head, row
//    r = token * group + head_in_group. All of a tile's rows read the same K/V, so one K/V tile in
//    shared memory feeds every query head of the GQA group: a decode step of Llama-3-8B (group 4)
//    fills 4 of the MMA's 16 rows instead of 1, and a short q_len (speculative tokens, small
//    chunks) packs tokens into the rest. Prefill tiles are 64 rows (16 tokens x 4 heads at group
//    4), which reads K/V once per 64 rows like FlashAttention-2's 64-token, one-head tiles.
//  - Grid without host knowledge of the batch: x enumerates row tiles over all sequences,
//    sequence s owning tiles [floor(query_start[s] * group / rows) + s, ...). That formula
//    gives every sequence at least ceil(q_len * group / rows) tiles and at most one spare, whose
//    block exits at once, so the host launches num_tokens * group / rows + num_seqs tiles
//    without reading query_start (no host sync, graph-capturable); a block finds its sequence by
//    binary search. Tiles run in reverse, so the long causal tiles (the last of each prompt)
//    start first. y is the KV head, z the KV split.
//  - Each warp owns 16 rows (the MMA's M). kFlashPrefill: 4 warps x 16 rows share each K/V tile
//    of 64 keys (32 at head_dim 256). kFlashDecode: one 16-row tile, and the warps split every
//    K/V tile's keys between them, each with its own online softmax, merged through shared memory
//    at the end, so a decode block still has 4 warps of MMA work per tile.
//  - K/V tiles come from the paged cache through the block table, key by key (so any block size
//    works), with cp.async 16-byte copies into a two-stage ring: the next tile's copies are in
//    flight while the current one is multiplied. Keys past the split's end are zero-filled (a
//    NaN in a dead V row would survive a zero probability). Shared rows are XOR-swizzled in
//    16-byte chunks (chunk ^ row % 8) so ldmatrix reads 8 rows without bank conflicts.
//  - S = Q K^T: Q's A fragments are loaded once (ldmatrix) and kept in registers (at head_dim 256
//    they are re-read from shared memory per tile, to stay under 255 registers); K fragments by
//    ldmatrix; F32 accumulators, scaled into log2 units afterwards (scaling Q in BF16 would cost
//    2^-9 of every score). Causal and window masks per row, skipped for tiles wholly inside every
//    row's range. The soft-capped variant (kSoftcap) maps each score through cap * tanh(s / cap)
//    before the masks; the plain one compiles without it.
//  - O += P V with P split into two BF16 MMAs, hi = bf16(p) and lo = bf16(p - hi). Plain BF16 P
//    (what FlashAttention does) moves each probability by up to 2^-9 relative, so an output near
//    zero made of a few large terms can be off by ~1e-3 absolute (an estimate, not measured):
//    over this backend's bound (2^-7 relative + 2e-4, the CUDA-core kernel's accuracy). With
//    hi + lo, P is exact to ~2^-17.
//    The extra MMA costs a third more tensor work in prefill and nothing in decode (memory-bound);
//    V fragments are loaded once for both.
//  - Epilogue through shared memory: each warp's (max, sum, O) goes to shared memory, then the
//    block combines the warps of each row (decode) and writes 16-byte BF16 rows, or F32 partials
//    for the split merge.
#pragma once

#include <cuda_bf16.h>

#include <cstdint>

#include "backend/cuda/attention/paged_attention.h"
#include "backend/cuda/common/bf16_io.cuh"

namespace turbine::cuda::flash {

constexpr float kLog2e = 1.4426950408889634f;

__device__ __forceinline__ uint32_t smem_u32(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16 bytes global -> shared, asynchronously; src_bytes 0 writes zeros and reads nothing.
__device__ __forceinline__ void cp_async_16(uint32_t dst, const void* src, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes) : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

// d += a * b, a 16x16 BF16 (row), b 16x8 BF16 (col), d 16x8 F32.
__device__ __forceinline__ void mma_bf16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// (x, y) as BF16 pairs hi and lo with hi + lo == (x, y) to ~2^-17 relative.
__device__ __forceinline__ void split_bf16x2(float x, float y, uint32_t& hi, uint32_t& lo) {
  const __nv_bfloat162 h = __floats2bfloat162_rn(x, y);
  const __nv_bfloat162 l = __floats2bfloat162_rn(x - __low2float(h), y - __high2float(h));
  hi = *reinterpret_cast<const uint32_t*>(&h);
  lo = *reinterpret_cast<const uint32_t*>(&l);
}

// D: head_dim; WM x WN warps (WM along query rows, WN along each tile's keys); BN keys per warp
// per tile.
template <int D, int WM, int WN, int BN>
struct Config {
  static constexpr int kHeadDim = D;
  static constexpr int kWarpsM = WM, kWarpsN = WN, kWarpKeys = BN;
  static constexpr int kWarps = WM * WN;
  static constexpr int kThreads = 32 * kWarps;
  static constexpr int kRows = 16 * WM;      // query rows per block
  static constexpr int kKeys = BN * WN;      // keys per K/V tile
  static constexpr int kChunks = D / 8;      // 16-byte chunks per row
  static constexpr int kLoadRows = kThreads / kChunks;  // rows one pass of cp.async covers
  static constexpr int kQElems = kRows * D;
  static constexpr int kTileElems = kKeys * D;  // one of K or V, one stage
  static constexpr int kSmemBytes = (kQElems + 4 * kTileElems) * 2;
  static constexpr int kOStride = D + 8;  // epilogue row stride in floats (conflict-free float2 stores)
  static constexpr int kEpilogueBytes = (kWarps * 16 * kOStride + 2 * kWarps * 16) * 4;
  static constexpr bool kQInRegisters = D <= 128;
  static_assert(D % 64 == 0, "the swizzle needs at least 8 chunks per row");
  static_assert(BN % 16 == 0, "P V steps over 16 keys");
  static_assert(kThreads % kChunks == 0 && kKeys % kLoadRows == 0 && kRows % kLoadRows == 0);
  static_assert(kEpilogueBytes <= kSmemBytes, "the epilogue reuses the tiles' shared memory");
};

// Element offset of (row, 16-byte chunk) in a swizzled [rows, D] BF16 tile.
template <int D>
__device__ __forceinline__ int swizzle(int row, int chunk) {
  return row * D + ((chunk ^ (row & 7)) << 3);
}

// kSoftcap: scores are soft-capped (p.logit_softcap > 0); false compiles the plain kernel.
template <class C, bool kSoftcap>
__global__ void __launch_bounds__(C::kThreads) flash_paged_attention_kernel(PagedAttentionParams p,
                                                                             DeviceErrorSink errors) {
  constexpr int D = C::kHeadDim;
  constexpr int BN = C::kWarpKeys;
  constexpr int WN = C::kWarpsN;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  bf16* q_s = reinterpret_cast<bf16*>(smem_raw);
  bf16* kv_s = q_s + C::kQElems;  // stage s: K at kv_s + 2 s kTileElems, V right after

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int wm = warp / WN, wn = warp % WN;
  const int group = p.num_heads / p.num_kv_heads;
  const int kv_head = blockIdx.y, split = blockIdx.z;
  const int tile = int(gridDim.x - 1 - blockIdx.x);
  const int32_t* qs = p.query_start;

  if (p.num_seqs <= 0) {
    if (blockIdx.x == 0 && blockIdx.y == 0 && split == 0 && tid == 0)
      report_device_error(errors, DeviceErrorCode::kAttentionQueryStart, qs[0], qs[0], p.num_tokens);
    return;
  }
  if (blockIdx.x == 0 && blockIdx.y == 0 && split == 0 && tid == 0 &&
      (qs[0] != 0 || qs[p.num_seqs] != p.num_tokens)) {
    report_device_error(errors, DeviceErrorCode::kAttentionQueryStart, qs[0], qs[p.num_seqs], p.num_tokens);
  }

  // The tile's sequence: the last s whose first tile is at or before this one.
  const auto first_tile = [&](int s) { return int64_t(qs[s]) * group / C::kRows + s; };
  int lo = 0, hi = p.num_seqs - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (first_tile(mid) <= tile) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  const int seq = lo;
  const int q_begin = qs[seq], q_end = qs[seq + 1];
  if (q_begin < 0 || q_end < q_begin || q_end > p.num_tokens) {  // uniform: the block leaves together
    if (tid == 0) report_device_error(errors, DeviceErrorCode::kAttentionQueryStart, qs[0], qs[p.num_seqs], p.num_tokens);
    return;
  }
  const int q_len = q_end - q_begin;
  const int rows_total = q_len * group;
  const int row0 = int(tile - first_tile(seq)) * C::kRows;
  if (row0 < 0 || row0 >= rows_total) return;  // a spare tile
  const int seq_len = p.seq_lens[seq];
  if (seq_len < q_len || int64_t(seq_len) > int64_t(p.max_blocks_per_seq) * p.block_size) {
    if (tid == 0) report_device_error(errors, DeviceErrorCode::kAttentionSeqLen, seq, seq_len, q_len);
    return;
  }

  // Keys of the block's rows: [key_begin, key_end), cut into num_splits ranges of whole tiles.
  const int pos0 = seq_len - q_len;  // position of the sequence's first query token
  const int row_last = min(row0 + C::kRows, rows_total) - 1;
  const int first_pos = pos0 + row0 / group, last_pos = pos0 + row_last / group;
  const int window = p.sliding_window;
  const int key_begin = window > 0 ? max(0, first_pos - window + 1) : 0;
  const int key_end = last_pos + 1;
  const int per_split =
      ((key_end - key_begin + p.num_splits - 1) / p.num_splits + C::kKeys - 1) / C::kKeys * C::kKeys;
  const int split_begin = key_begin + split * per_split;
  const int split_end = min(key_end, split_begin + per_split);
  const int num_kv_tiles = split_begin < split_end ? (split_end - split_begin + C::kKeys - 1) / C::kKeys : 0;

  // This thread's two rows of its warp's 16 (the MMA's g and g + 8): position and first key.
  int row_pos[2], row_lo[2];
  bool warp_full = true;
  int warp_min_pos = INT32_MAX, warp_max_pos = -1, warp_max_lo = 0, warp_min_lo = INT32_MAX;
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int fr = row0 + wm * 16 + lane / 4 + 8 * i;
    if (fr <= row_last) {
      row_pos[i] = pos0 + fr / group;
      row_lo[i] = window > 0 ? max(0, row_pos[i] - window + 1) : 0;
      warp_min_pos = min(warp_min_pos, row_pos[i]);
      warp_max_pos = max(warp_max_pos, row_pos[i]);
      warp_max_lo = max(warp_max_lo, row_lo[i]);
      warp_min_lo = min(warp_min_lo, row_lo[i]);
    } else {
      row_pos[i] = -1;  // masks every key
      row_lo[i] = 0;
      warp_full = false;
    }
  }
#pragma unroll
  for (int o = 1; o < 32; o <<= 1) {
    warp_min_pos = min(warp_min_pos, __shfl_xor_sync(0xffffffffu, warp_min_pos, o));
    warp_max_pos = max(warp_max_pos, __shfl_xor_sync(0xffffffffu, warp_max_pos, o));
    warp_max_lo = max(warp_max_lo, __shfl_xor_sync(0xffffffffu, warp_max_lo, o));
    warp_min_lo = min(warp_min_lo, __shfl_xor_sync(0xffffffffu, warp_min_lo, o));
  }
  warp_full = __all_sync(0xffffffffu, warp_full);

  const int64_t q_cols = int64_t(p.num_heads) * D;
  const int64_t kv_cols = int64_t(p.num_kv_heads) * D;
  const bf16* k_base = static_cast<const bf16*>(p.k_cache) + int64_t(kv_head) * D;
  const bf16* v_base = static_cast<const bf16*>(p.v_cache) + int64_t(kv_head) * D;
  const int32_t* table = p.block_tables + int64_t(seq) * p.max_blocks_per_seq;
  const int ld_row = tid / C::kChunks, ld_chunk = tid % C::kChunks;

  const auto load_q = [&] {
#pragma unroll
    for (int i = 0; i < C::kRows / C::kLoadRows; ++i) {
      const int r = ld_row + i * C::kLoadRows, fr = row0 + r;
      const bf16* src = static_cast<const bf16*>(p.q);
      int bytes = 0;
      if (fr <= row_last) {
        const int j = fr / group, g = fr - j * group;
        src += int64_t(q_begin + j) * q_cols + int64_t(kv_head * group + g) * D + ld_chunk * 8;
        bytes = 16;
      }
      cp_async_16(smem_u32(q_s + swizzle<D>(r, ld_chunk)), src, bytes);
    }
  };
  const auto load_kv = [&](int t, int stage) {
    bf16* ks = kv_s + stage * 2 * C::kTileElems;
    bf16* vs = ks + C::kTileElems;
    const int k0 = split_begin + t * C::kKeys;
#pragma unroll
    for (int i = 0; i < C::kKeys / C::kLoadRows; ++i) {
      const int r = ld_row + i * C::kLoadRows, key = k0 + r;
      const bf16* ksrc = k_base;
      const bf16* vsrc = v_base;
      int bytes = 0;
      if (key < split_end) {
        const int b = p.block_shift >= 0 ? key >> p.block_shift : key / p.block_size;
        const int block = table[b];
        if (block < 0 || block >= p.num_blocks) {
          report_device_error(errors, DeviceErrorCode::kAttentionBlock, seq, b, block);
        } else {
          const int64_t off = (int64_t(block) * p.block_size + (key - b * p.block_size)) * kv_cols + ld_chunk * 8;
          ksrc += off;
          vsrc += off;
          bytes = 16;
        }
      }
      const int o = swizzle<D>(r, ld_chunk);
      cp_async_16(smem_u32(ks + o), ksrc, bytes);
      cp_async_16(smem_u32(vs + o), vsrc, bytes);
    }
  };

  float o_acc[D / 8][4];
#pragma unroll
  for (int n = 0; n < D / 8; ++n) o_acc[n][0] = o_acc[n][1] = o_acc[n][2] = o_acc[n][3] = 0.0f;
  float row_max[2] = {-INFINITY, -INFINITY}, row_sum[2] = {0.0f, 0.0f};
  uint32_t q_frag[C::kQInRegisters ? D / 16 : 1][4];
  const float scale_log2 = p.scale * kLog2e;
  // Soft-cap: x = cap * tanh(scale * s / cap), in log2 units. tanhf, not tanh.approx (2^-11
  // relative), which a cap of 50 would turn into errors of ~0.02 in a score.
  const float scale_over_cap = kSoftcap ? p.scale / p.logit_softcap : 0.0f;
  const float cap_log2 = kSoftcap ? p.logit_softcap * kLog2e : 0.0f;
  // ldmatrix lane addressing (see the fragment layouts of mma.m16n8k16).
  const int a_row = wm * 16 + (lane & 7) + ((lane >> 3) & 1) * 8, a_chunk = lane >> 4;    // Q, V^T
  const int b_row = (lane & 7) + (lane >> 4) * 8, b_chunk = (lane >> 3) & 1;              // K
  const int v_row = (lane & 7) + ((lane >> 3) & 1) * 8, v_chunk = lane >> 4;

  if (num_kv_tiles > 0) {
    load_q();
    load_kv(0, 0);
    cp_async_commit();
  }
  for (int t = 0; t < num_kv_tiles; ++t) {
    if (t + 1 < num_kv_tiles) {
      load_kv(t + 1, (t + 1) & 1);
      cp_async_commit();
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();
    if constexpr (C::kQInRegisters) {
      if (t == 0) {
#pragma unroll
        for (int kk = 0; kk < D / 16; ++kk) ldmatrix_x4(q_frag[kk], smem_u32(q_s + swizzle<D>(a_row, 2 * kk + a_chunk)));
      }
    }
    const bf16* ks = kv_s + (t & 1) * 2 * C::kTileElems + wn * BN * D;
    const bf16* vs = ks + C::kTileElems;
    const int k0 = split_begin + t * C::kKeys + wn * BN;  // the warp's first key of this tile
    if (k0 <= warp_max_pos && k0 + BN > warp_min_lo) {    // else every key is masked for every row
      float s[BN / 8][4];
#pragma unroll
      for (int n = 0; n < BN / 8; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk) {
        uint32_t qa[4];
        if constexpr (C::kQInRegisters) {
#pragma unroll
          for (int i = 0; i < 4; ++i) qa[i] = q_frag[kk][i];
        } else {
          ldmatrix_x4(qa, smem_u32(q_s + swizzle<D>(a_row, 2 * kk + a_chunk)));
        }
#pragma unroll
        for (int np = 0; np < BN / 16; ++np) {
          uint32_t b[4];
          // K rows are relative to the warp's slice; the slice starts at a multiple of 16 rows, so
          // the swizzle (row % 8) is the same as for the tile row.
          ldmatrix_x4(b, smem_u32(ks + swizzle<D>(np * 16 + b_row, 2 * kk + b_chunk)));
          mma_bf16(s[2 * np], qa, b[0], b[1]);
          mma_bf16(s[2 * np + 1], qa, b[2], b[3]);
        }
      }

      // Scores in log2 units, masked per row unless the tile is inside every row's range.
      const bool unmasked = warp_full && k0 >= warp_max_lo && k0 + BN - 1 <= warp_min_pos;
#pragma unroll
      for (int n = 0; n < BN / 8; ++n) {
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          float x;
          if constexpr (kSoftcap) {
            x = cap_log2 * tanhf(s[n][e] * scale_over_cap);
          } else {
            x = s[n][e] * scale_log2;
          }
          if (!unmasked) {
            const int key = k0 + n * 8 + 2 * (lane & 3) + (e & 1);
            if (key < row_lo[e >> 1] || key > row_pos[e >> 1]) x = -INFINITY;
          }
          s[n][e] = x;
        }
      }
      // Online softmax; the 4 lanes of a quad share each row.
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        float mx = -INFINITY;
#pragma unroll
        for (int n = 0; n < BN / 8; ++n) mx = fmaxf(mx, fmaxf(s[n][2 * i], s[n][2 * i + 1]));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
        const float m_new = fmaxf(row_max[i], mx);
        const float m_use = m_new == -INFINITY ? 0.0f : m_new;  // a row with no key yet stays at zero
        const float alpha = exp2f(row_max[i] - m_use);
        row_max[i] = m_new;
        float sum = 0.0f;
#pragma unroll
        for (int n = 0; n < BN / 8; ++n) {
          s[n][2 * i] = exp2f(s[n][2 * i] - m_use);
          s[n][2 * i + 1] = exp2f(s[n][2 * i + 1] - m_use);
          sum += s[n][2 * i] + s[n][2 * i + 1];
        }
        row_sum[i] = row_sum[i] * alpha + sum;
#pragma unroll
        for (int n = 0; n < D / 8; ++n) o_acc[n][2 * i] *= alpha, o_acc[n][2 * i + 1] *= alpha;
      }
      // O += P V, P as hi + lo BF16 A fragments (the S accumulators of n-tiles 2k, 2k + 1).
#pragma unroll
      for (int kk = 0; kk < BN / 16; ++kk) {
        uint32_t ph[4], pl[4];
        split_bf16x2(s[2 * kk][0], s[2 * kk][1], ph[0], pl[0]);
        split_bf16x2(s[2 * kk][2], s[2 * kk][3], ph[1], pl[1]);
        split_bf16x2(s[2 * kk + 1][0], s[2 * kk + 1][1], ph[2], pl[2]);
        split_bf16x2(s[2 * kk + 1][2], s[2 * kk + 1][3], ph[3], pl[3]);
#pragma unroll
        for (int dp = 0; dp < D / 16; ++dp) {
          uint32_t v[4];
          ldmatrix_x4_trans(v, smem_u32(vs + swizzle<D>(kk * 16 + v_row, 2 * dp + v_chunk)));
          mma_bf16(o_acc[2 * dp], ph, v[0], v[1]);
          mma_bf16(o_acc[2 * dp], pl, v[0], v[1]);
          mma_bf16(o_acc[2 * dp + 1], ph, v[2], v[3]);
          mma_bf16(o_acc[2 * dp + 1], pl, v[2], v[3]);
        }
      }
    }
    __syncthreads();  // the stage is free for the copies issued next iteration
  }

  // Epilogue: warps' (max, sum, O) through shared memory (over the Q and K/V tiles, all read).
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    row_sum[i] += __shfl_xor_sync(0xffffffffu, row_sum[i], 1);
    row_sum[i] += __shfl_xor_sync(0xffffffffu, row_sum[i], 2);
  }
  __syncthreads();
  float* o_s = reinterpret_cast<float*>(smem_raw);  // [kWarps][16][kOStride]
  float* m_s = o_s + C::kWarps * 16 * C::kOStride;  // [kWarps][16]
  float* l_s = m_s + C::kWarps * 16;
  {
    const int g = lane >> 2, tq = lane & 3;
    float* ow = o_s + warp * 16 * C::kOStride;
#pragma unroll
    for (int n = 0; n < D / 8; ++n) {
      *reinterpret_cast<float2*>(ow + g * C::kOStride + n * 8 + 2 * tq) = make_float2(o_acc[n][0], o_acc[n][1]);
      *reinterpret_cast<float2*>(ow + (g + 8) * C::kOStride + n * 8 + 2 * tq) = make_float2(o_acc[n][2], o_acc[n][3]);
    }
    if (tq == 0) {
      m_s[warp * 16 + g] = row_max[0], m_s[warp * 16 + g + 8] = row_max[1];
      l_s[warp * 16 + g] = row_sum[0], l_s[warp * 16 + g + 8] = row_sum[1];
    }
  }
  __syncthreads();
  const int64_t partial_rows = int64_t(p.num_tokens) * p.num_heads * p.num_splits;
  for (int idx = tid; idx < C::kRows * C::kChunks; idx += C::kThreads) {
    const int r = idx / C::kChunks, c = idx % C::kChunks;
    const int fr = row0 + r;
    if (fr > row_last) continue;
    const int w0 = (r / 16) * WN, rr = r % 16;
    float m_all = -INFINITY;
#pragma unroll
    for (int w = 0; w < WN; ++w) m_all = fmaxf(m_all, m_s[(w0 + w) * 16 + rr]);
    float acc[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    float l_all = 0.0f;
#pragma unroll
    for (int w = 0; w < WN; ++w) {
      const float mw = m_s[(w0 + w) * 16 + rr];
      if (mw == -INFINITY) continue;  // the warp saw no key of this row
      const float f = exp2f(mw - m_all);
      l_all += l_s[(w0 + w) * 16 + rr] * f;
      const float* src = o_s + ((w0 + w) * 16 + rr) * C::kOStride + c * 8;
      const float4 a = *reinterpret_cast<const float4*>(src);
      const float4 b = *reinterpret_cast<const float4*>(src + 4);
      acc[0] += a.x * f, acc[1] += a.y * f, acc[2] += a.z * f, acc[3] += a.w * f;
      acc[4] += b.x * f, acc[5] += b.y * f, acc[6] += b.z * f, acc[7] += b.w * f;
    }
    const int j = fr / group, g = fr - j * group;
    const int64_t row = int64_t(q_begin + j) * p.num_heads + kv_head * group + g;  // (token, head)
    if (p.num_splits == 1) {
      const float inv = l_all > 0.0f ? 1.0f / l_all : 0.0f;
#pragma unroll
      for (int i = 0; i < 8; ++i) acc[i] *= inv;
      store_bf16<8>(static_cast<bf16*>(p.out) + row * D + c * 8, acc);
    } else {
      const int64_t part = row * p.num_splits + split;
      float* dst = p.workspace + part * D + c * 8;
      *reinterpret_cast<float4*>(dst) = make_float4(acc[0], acc[1], acc[2], acc[3]);
      *reinterpret_cast<float4*>(dst + 4) = make_float4(acc[4], acc[5], acc[6], acc[7]);
      if (c == 0) *reinterpret_cast<float2*>(p.workspace + partial_rows * D + part * 2) = make_float2(m_all, l_all);
    }
  }
}

}  // namespace turbine::cuda::flash
