// Paged attention over the flat batch (backend.h's attention), with optional split-KV.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "backend/cuda/common/device_error.h"

namespace turbine::cuda {

// The kernel's limits: head_dim a multiple of 8 up to this, and at most this many warps per block.
inline constexpr int kAttentionMaxHeadDim = 256;
inline constexpr int kAttentionMaxWarps = 8;

struct PagedAttentionParams {
  const void* q = nullptr;        // BF16 [num_tokens, num_heads * head_dim]
  void* out = nullptr;            // BF16 [num_tokens, num_heads * head_dim], 16-byte aligned
  const void* k_cache = nullptr;  // BF16 [num_blocks * block_size, num_kv_heads * head_dim], 16-byte aligned
  const void* v_cache = nullptr;
  const int32_t* query_start = nullptr;   // [num_seqs + 1], device memory
  const int32_t* seq_lens = nullptr;      // [num_seqs]
  const int32_t* block_tables = nullptr;  // [num_seqs, max_blocks_per_seq]
  int num_seqs = 0;
  int num_tokens = 0;
  int max_blocks_per_seq = 0;
  int block_size = 0;
  int64_t num_blocks = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  int sliding_window = 0;
  float scale = 0.0f;
  // Launch shape, from plan_paged_attention.
  int heads_per_block = 1;  // query heads of one KV head that share a block (divides the group)
  int warps_per_head = 1;   // warps splitting one head's keys inside the block
  int num_splits = 1;       // blocks splitting one (token, head)'s keys; > 1 needs `workspace`
  float* workspace = nullptr;  // [num_tokens, num_heads, num_splits, head_dim + 2] F32 partials
};

// Fills the launch-shape fields of p from its sizes: `max_context` bounds any sequence's keys
// (max_blocks_per_seq * block_size, capped by the window), `num_sms` is the device's. A forced
// split count > 0 overrides the heuristic (tests use it to cover both paths on one batch).
void plan_paged_attention(PagedAttentionParams& p, int64_t max_context, int num_sms, int forced_splits);

// Bytes of F32 workspace p needs (0 when num_splits == 1).
size_t paged_attention_workspace_bytes(const PagedAttentionParams& p);

void launch_paged_attention(const PagedAttentionParams& p, DeviceErrorSink errors, cudaStream_t stream);

}  // namespace turbine::cuda
