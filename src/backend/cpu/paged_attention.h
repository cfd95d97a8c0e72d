// The paged attention driver: walks each query's visible KV range through its sequence's block
// table and feeds the kernels' online-softmax tile, one (token, KV head) pair at a time, so the
// query heads that share a KV head read it once. Pairs are dealt round-robin to the threads:
// under causal prefill later tokens see more KV, and interleaving keeps the threads even.
#pragma once

#include "backend/backend.h"
#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/scratch_buffer.h"
#include "common/thread_pool.h"

namespace turbine::cpu {

struct AttentionScratch {
  ScratchBuffer token_seq;  // int32 per query row: its sequence
  ScratchBuffer state;      // per thread: max, sum, acc, scores
};

// Arguments already checked (check_attention_shapes / check_attention_indices).
void run_paged_attention(const CpuKernels& kernels, ThreadPool& pool, AttentionScratch& scratch, const Tensor& q,
                         const KvCacheLayer& cache, const AttentionBatch& batch, const AttentionShape& shape,
                         Tensor& out);

}  // namespace turbine::cpu
