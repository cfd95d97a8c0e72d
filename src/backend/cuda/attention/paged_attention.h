// Paged attention over the flat batch (backend.h's attention), with optional split-KV.
//
// Two kernel families behind one interface (paged_attention.cu says why each is shaped so):
//  - flash: tensor cores (mma.sync m16n8k16 BF16, F32 accumulation), for head_dim 64, 128 and
//    256 with q 16-byte aligned, any block size. Query rows are (token, query head) pairs of one
//    KV head, so decode packs the GQA group (and short q_len tokens) into the MMA's 16 rows.
//  - simt: the CUDA-core kernel, for every other head_dim (a multiple of 8 up to 256).
// Both write split partials to the same workspace layout, merged by one kernel. Both come in two
// compile-time variants, plain and logit soft-capped (logit_softcap > 0).
#pragma once

#include <cstddef>
#include <cstdint>

#include "backend/cuda/common/device_error.h"

// cudaStream_t exactly as the CUDA runtime declares it (driver_types.h), so that this header, and
// the tests that plan with it, build without the CUDA include path.
typedef struct CUstream_st* cudaStream_t;

namespace turbine::cuda {

// The kernels' limits: head_dim a multiple of 8 up to this, and at most this many warps per block.
inline constexpr int kAttentionMaxHeadDim = 256;
inline constexpr int kAttentionMaxWarps = 8;
// The most KV splits a plan uses (forced counts are clamped to it too).
inline constexpr int kAttentionMaxSplits = 64;
// Automatic plans keep num_tokens * num_heads * num_splits (the partial rows in the workspace) at
// or under this many per multiprocessor: splitting only pays when the grid is small anyway.
inline constexpr int kAttentionPartialRowsPerSm = 256;

enum class PagedAttentionPath : int32_t {
  kSimt = 0,          // CUDA-core kernel (any head_dim)
  kFlashPrefill = 1,  // tensor cores, 4 warps x 16 query rows sharing each K/V tile
  kFlashDecode = 2,   // tensor cores, 16 query rows, the block's warps splitting each K/V tile's keys
};

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
  // > 0: scores are soft-capped to cap * tanh(score / cap) (Gemma 2). Each kernel has a capped
  // instantiation (a template flag, as FlashInfer's attention variants), so 0 runs the same code
  // as before the cap existed.
  float logit_softcap = 0.0f;
  // Launch shape, from plan_paged_attention.
  PagedAttentionPath path = PagedAttentionPath::kSimt;
  int heads_per_block = 1;  // simt: query heads of one KV head that share a block (divides the group)
  int warps_per_head = 1;   // simt: warps splitting one head's keys inside the block
  int tile_rows = 0;        // flash: query rows ((token, head) pairs of one KV head) per block
  int num_tiles = 0;        // flash: row tiles of the grid, num_tokens * group / tile_rows + num_seqs
  int block_shift = -1;     // log2(block_size) when it is a power of two, else -1
  int num_splits = 1;       // blocks splitting one query row's keys; > 1 needs `workspace`
  // [num_tokens * num_heads * num_splits, head_dim] F32 unnormalised partial outputs, then
  // [num_tokens * num_heads * num_splits, 2] (running max in log2 units, sum of exponentials).
  float* workspace = nullptr;
};

// Fills the launch-shape fields of p from its sizes (and q's alignment): `max_context` bounds any
// sequence's keys (max_blocks_per_seq * block_size, capped by the window), `num_sms` is the
// device's. A forced split count > 0 overrides the heuristic (tests use it to cover both paths on
// one batch); it is clamped to [1, kAttentionMaxSplits].
void plan_paged_attention(PagedAttentionParams& p, int64_t max_context, int num_sms, int forced_splits);

// Bytes of F32 workspace p needs (0 when num_splits == 1).
size_t paged_attention_workspace_bytes(const PagedAttentionParams& p);

// An upper bound of paged_attention_workspace_bytes over every automatic plan of a batch with at
// most max_num_tokens query rows of this head count and size on a device of num_sms
// multiprocessors, whatever its sequences, contexts and KV heads: allocate it once and no forward
// pass needs to allocate. With forced_splits > 0 it bounds the forced plans instead.
size_t paged_attention_max_workspace_bytes(int max_num_tokens, int num_heads, int head_dim, int num_sms,
                                           int forced_splits = 0);

void launch_paged_attention(const PagedAttentionParams& p, DeviceErrorSink errors, cudaStream_t stream);

}  // namespace turbine::cuda
