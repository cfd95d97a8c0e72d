// Splitting a checkpoint's fused query_key_value projection (GPT-NeoX, Falcon) into the q, k and v
// projections the decoder runs: the rows of each are gathered into the model's arena, in the
// checkpoint's dtype (dense weights only), with their biases.
#pragma once

#include <string>
#include <vector>

#include "backend/linear_weights.h"
#include "model/decoder_layers.h"
#include "model/linear_loader.h"
#include "model/tensor_arena.h"
#include "model/weight_store.h"

namespace turbine {

// Row indices of q, k and v inside the fused projection.
struct FusedQkvRows {
  std::vector<int64_t> q, k, v;
};

// GPT-NeoX: per head, its q rows, then its k rows, then its v rows ([heads, 3, head_dim]).
FusedQkvRows neox_qkv_rows(int num_heads, int head_dim);
// Falcon: per kv group, its (heads / kv_heads) q heads, then its k head, then its v head
// ([kv_heads, heads / kv_heads + 2, head_dim]); with one kv head (multi_query) that is all q
// heads, then k, then v.
FusedQkvRows falcon_qkv_rows(int num_heads, int num_kv_heads, int head_dim);

// Loads `prefix`.weight (and `prefix`.bias when `bias`) [rows.q + rows.k + rows.v, hidden] and
// splits it into a.q, a.k, a.v.
void load_fused_qkv(WeightStore& weights, const LinearLoader& linears, const std::string& prefix, int64_t hidden,
                    const FusedQkvRows& rows, bool bias, TensorArena& arena, AttentionWeights& a);

}  // namespace turbine
