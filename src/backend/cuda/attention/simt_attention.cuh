// The CUDA-core paged attention kernel: the fallback for head dims the tensor-core kernel
// (flash_attention.cuh) does not cover, and for q rows that are not 16-byte aligned. Included by
// paged_attention.cu alone.
//
// Why it is shaped so:
//  - Grid: one block per (query token, group of query heads that share one KV head, KV split).
//    Putting all the query heads of a KV head in one block (GQA) means their warps read the same
//    K/V rows, so the second and later reads hit L1. The token's sequence is found by a binary
//    search over query_start (device memory: the host never sees the batch layout, which keeps the
//    op free of host syncs and graph-capturable).
//  - Inside a block each warp owns one head and a strided share of the key range (warps_per_head
//    warps per head when the group is small, so a block always has about 4 warps busy). A warp
//    takes 32 keys at a time, one key per lane: the lane computes q.k over the whole head with
//    16-byte loads (q sits in shared memory, pre-scaled into the log2 domain, and is read as
//    broadcasts), then the warp does one online-softmax update (warp max, rescale), and the
//    P.V product is accumulated with each lane owning head_dim / 32 output dimensions: for each
//    of the 32 keys the lane reads its slice of the V row (coalesced across the warp) and the
//    key's probability by shuffle.
//  - The warps of one head merge their (max, sum, accumulator) triples through shared memory at
//    the end, the same merge FlashDecoding uses across blocks.
//  - Split-KV: each (token, head)'s key range is cut into num_splits pieces of whole 32-key chunks
//    handled by separate blocks, which write unnormalised partials to the workspace (layout in
//    paged_attention.h) for the merge kernel.
// Limits (checked by the backend): head_dim a multiple of 8 up to 256 (lane slices of 1, 2, 4 or
// 8 dimensions), caches and output 16-byte aligned. Bad block ids or sequence lengths are
// reported through device_error.h and the offending keys skipped.
#pragma once

#include <cmath>

#include "backend/cuda/attention/paged_attention.h"
#include "backend/cuda/common/bf16_io.cuh"

namespace turbine::cuda::simt {

constexpr float kLog2e = 1.4426950408889634f;

// dims_per_lane (DPL): each lane owns output dimensions [lane * DPL, lane * DPL + DPL) of its head.
// kSoftcap: scores are soft-capped (p.logit_softcap > 0); false compiles the plain kernel.
template <int DPL, bool kSoftcap>
__global__ void __launch_bounds__(kAttentionMaxWarps * 32)
    simt_paged_attention_kernel(PagedAttentionParams p, DeviceErrorSink errors) {
  __shared__ __align__(16) float q_smem[kAttentionMaxWarps][kAttentionMaxHeadDim];
  __shared__ float acc_smem[kAttentionMaxWarps][32 * DPL];
  __shared__ float m_smem[kAttentionMaxWarps], l_smem[kAttentionMaxWarps];

  const int token = blockIdx.x;
  const int split = blockIdx.z;
  const int d = p.head_dim;
  const int group = p.num_heads / p.num_kv_heads;
  const int blocks_per_kv_head = group / p.heads_per_block;
  const int kv_head = blockIdx.y / blocks_per_kv_head;
  const int head0 = kv_head * group + int(blockIdx.y % blocks_per_kv_head) * p.heads_per_block;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int local_head = warp / p.warps_per_head, warp_in_head = warp % p.warps_per_head;

  // The token's sequence: the last s with query_start[s] <= token (empty sequences share their
  // start with the next one, so "last" picks the one that owns the token).
  int lo = 0, hi = p.num_seqs - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (p.query_start[mid] <= token) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  const int seq = lo;
  if (p.num_seqs <= 0) {  // nothing owns the token (and query_start has one entry)
    if (threadIdx.x == 0) report_device_error(errors, DeviceErrorCode::kAttentionQueryStart, p.query_start[0],
                                              p.query_start[0], p.num_tokens);
    return;
  }
  if (token == 0 && blockIdx.y == 0 && split == 0 && threadIdx.x == 0 &&
      (p.query_start[0] != 0 || p.query_start[p.num_seqs] != p.num_tokens)) {
    report_device_error(errors, DeviceErrorCode::kAttentionQueryStart, p.query_start[0], p.query_start[p.num_seqs],
                        p.num_tokens);
  }
  const int q_begin = p.query_start[seq], q_end = p.query_start[seq + 1];
  const int q_len = q_end - q_begin, seq_len = p.seq_lens[seq];
  if (seq_len < q_len || int64_t(seq_len) > int64_t(p.max_blocks_per_seq) * p.block_size || token >= q_end ||
      token < q_begin) {
    if (threadIdx.x == 0) report_device_error(errors, DeviceErrorCode::kAttentionSeqLen, seq, seq_len, q_len);
    return;  // uniform across the block: every thread computed the same condition
  }

  // This query's keys: [first, end), cut into num_splits ranges of whole 32-key chunks.
  const int pos = seq_len - q_len + (token - q_begin);
  const int first = p.sliding_window > 0 ? max(0, pos - p.sliding_window + 1) : 0;
  const int end = pos + 1;
  const int per_split = ((end - first + p.num_splits - 1) / p.num_splits + 31) / 32 * 32;
  const int range_lo = first + split * per_split;
  const int range_hi = min(end, range_lo + per_split);

  // q rows of the block's heads, scaled so that scores come out in log2 units (exp2 below); when
  // soft-capped, scaled by scale / cap, and the cap and log2 factor come after the tanh.
  const int64_t q_cols = int64_t(p.num_heads) * d;
  const bf16* q = static_cast<const bf16*>(p.q) + int64_t(token) * q_cols + int64_t(head0) * d;
  const float q_scale = kSoftcap ? p.scale / p.logit_softcap : p.scale * kLog2e;
  const float cap_log2 = kSoftcap ? p.logit_softcap * kLog2e : 0.0f;
  for (int i = threadIdx.x; i < p.heads_per_block * d; i += blockDim.x) {
    q_smem[i / d][i % d] = __bfloat162float(q[i]) * q_scale;
  }
  __syncthreads();

  const int64_t kv_cols = int64_t(p.num_kv_heads) * d;
  const bf16* k_base = static_cast<const bf16*>(p.k_cache) + int64_t(kv_head) * d;
  const bf16* v_base = static_cast<const bf16*>(p.v_cache) + int64_t(kv_head) * d;
  const int32_t* table = p.block_tables + int64_t(seq) * p.max_blocks_per_seq;
  const float* qh = q_smem[local_head];
  const bool owns_dims = lane * DPL < d;  // d % 8 == 0 and DPL divides 8: a lane owns all or none

  float m = -INFINITY;  // running max (log2 units), uniform across the warp
  float l = 0.0f;       // this lane's share of the running sum of exp2(score - m)
  float acc[DPL];
#pragma unroll
  for (int i = 0; i < DPL; ++i) acc[i] = 0.0f;

  for (int base = range_lo + warp_in_head * 32; base < range_hi; base += 32 * p.warps_per_head) {
    const int t = base + lane;
    int slot = -1;
    float score = -INFINITY;
    if (t < range_hi) {
      const int b = t / p.block_size;
      const int block = table[b];
      if (block < 0 || block >= p.num_blocks) {
        report_device_error(errors, DeviceErrorCode::kAttentionBlock, seq, b, block);
      } else {
        slot = block * p.block_size + (t - b * p.block_size);
        const bf16* k_row = k_base + int64_t(slot) * kv_cols;
        float dot0 = 0.0f, dot1 = 0.0f;
#pragma unroll
        for (int ci = 0; ci < 4 * DPL; ++ci) {
          const int c = ci * 8;
          if (c < d) {
            float k[8];
            load_bf16<8>(k_row + c, k);
            const float4 qa = *reinterpret_cast<const float4*>(qh + c);
            const float4 qb = *reinterpret_cast<const float4*>(qh + c + 4);
            dot0 += qa.x * k[0] + qa.y * k[1] + qa.z * k[2] + qa.w * k[3];
            dot1 += qb.x * k[4] + qb.y * k[5] + qb.z * k[6] + qb.w * k[7];
          }
        }
        score = kSoftcap ? cap_log2 * tanhf(dot0 + dot1) : dot0 + dot1;
      }
    }
    const float chunk_max = warp_max(score);
    if (chunk_max == -INFINITY) continue;  // no valid key in the chunk (only after a reported error)
    const float m_new = fmaxf(m, chunk_max);
    const float alpha = exp2f(m - m_new);  // 0 on the first chunk (m = -inf)
    const float prob = exp2f(score - m_new);  // 0 for invalid lanes
    l = l * alpha + prob;
#pragma unroll
    for (int i = 0; i < DPL; ++i) acc[i] *= alpha;
    m = m_new;

    const int keys = min(32, range_hi - base);
#pragma unroll 8
    for (int j = 0; j < keys; ++j) {
      const float pj = __shfl_sync(0xffffffffu, prob, j);
      const int sj = __shfl_sync(0xffffffffu, slot, j);
      if (owns_dims && sj >= 0) {
        float v[DPL];
        load_bf16<DPL>(v_base + int64_t(sj) * kv_cols + lane * DPL, v);
#pragma unroll
        for (int i = 0; i < DPL; ++i) acc[i] += pj * v[i];
      }
    }
  }

  // Merge the warps of each head.
  l = warp_sum(l);
  if (lane == 0) m_smem[warp] = m, l_smem[warp] = l;
#pragma unroll
  for (int i = 0; i < DPL; ++i) acc_smem[warp][lane * DPL + i] = acc[i];
  __syncthreads();
  if (warp_in_head != 0) return;  // no barriers below

  float m_all = -INFINITY;
  for (int w = 0; w < p.warps_per_head; ++w) m_all = fmaxf(m_all, m_smem[warp + w]);
  float l_all = 0.0f, o[DPL];
#pragma unroll
  for (int i = 0; i < DPL; ++i) o[i] = 0.0f;
  for (int w = 0; w < p.warps_per_head; ++w) {
    const float mw = m_smem[warp + w];
    if (mw == -INFINITY) continue;
    const float f = exp2f(mw - m_all);
    l_all += l_smem[warp + w] * f;
#pragma unroll
    for (int i = 0; i < DPL; ++i) o[i] += acc_smem[warp + w][lane * DPL + i] * f;
  }

  const int head = head0 + local_head;
  if (p.num_splits == 1) {
    if (owns_dims) {
      const float inv = l_all > 0.0f ? 1.0f / l_all : 0.0f;
#pragma unroll
      for (int i = 0; i < DPL; ++i) o[i] *= inv;
      store_bf16<DPL>(static_cast<bf16*>(p.out) + int64_t(token) * q_cols + int64_t(head) * d + lane * DPL, o);
    }
  } else {
    const int64_t part = (int64_t(token) * p.num_heads + head) * p.num_splits + split;
    if (owns_dims) {
#pragma unroll
      for (int i = 0; i < DPL; ++i) p.workspace[part * d + lane * DPL + i] = o[i];
    }
    if (lane == 0) {
      float* ml = p.workspace + int64_t(p.num_tokens) * p.num_heads * p.num_splits * d + part * 2;
      ml[0] = m_all, ml[1] = l_all;
    }
  }
}

}  // namespace turbine::cuda::simt
