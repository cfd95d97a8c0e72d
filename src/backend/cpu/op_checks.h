// Argument checks shared by the CPU backend and the reference ops, so both accept exactly the
// same inputs. A failed check is a caller bug (the model or runner built a wrong shape), so these
// abort through TURBINE_CHECK with the op, the tensor and the numbers involved.
//
// check_*_shapes look only at Tensor shapes and plain parameters (usable for any backend);
// check_*_indices read the int32 index arrays, so they need them in host memory.
#pragma once

#include <cstdint>

#include "backend/backend.h"

namespace turbine::cpu {

void check_embedding_shapes(const Tensor& table, const Tensor& out);
void check_embedding_indices(const Tensor& table, const int32_t* ids, int64_t count);
void check_rms_norm_shapes(const char* op, const Tensor& x, const Tensor& weight, const Tensor& out);
// rms_norm's checks, plus an optional bias (data == nullptr: none) of the weight's shape.
void check_layer_norm_shapes(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& out);
void check_linear_shapes(const Tensor& x, const Tensor& weight, const Tensor* bias, const Tensor& out);
// cos_sin is [x.rows, rotary_dim], rotary_dim even and in (0, head_dim] (backend.h).
void check_rope_shapes(const Tensor& x, int head_dim, const Tensor& cos_sin);
void check_same_shape(const char* op, const Tensor& a, const Tensor& b);
// One F32 tensor (an in-place elementwise op: scale, softcap, gelu).
void check_elementwise(const char* op, const Tensor& x);
// A stacked [rows, 2n] gate_up (each row gate then up) and its [rows, n] out, both F32, apart.
void check_gate_up_shapes(const char* op, const Tensor& gate_up, const Tensor& out);
// A soft-capping cap: finite and > 0.
void check_softcap(float cap);
void check_write_kv_shapes(const Tensor& k, const Tensor& v, const AttentionBatch& batch, const KvCacheLayer& cache);
// Slots must be < the cache's rows; a negative slot marks a padding token whose K/V is dropped.
void check_write_kv_indices(const AttentionBatch& batch, const KvCacheLayer& cache);
void check_attention_shapes(const Tensor& q, const KvCacheLayer& cache, const AttentionBatch& batch,
                            const AttentionShape& shape, const Tensor& out);
// query_start is 0-based, non-decreasing and ends at num_tokens; each sequence's KV length covers
// its queries and fits its block table; every block the queries can see is a valid block id.
void check_attention_indices(const KvCacheLayer& cache, const AttentionBatch& batch, const AttentionShape& shape);
void check_gather_rows_shapes(const Tensor& x, const Tensor& out);
void check_gather_rows_indices(const Tensor& x, const int32_t* rows, int64_t count);
// moe_route: router_logits F32 [tokens, num_experts >= 1], 1 <= top_k <= num_experts, ids I32 and
// weights F32 [tokens, top_k].
void check_moe_route_shapes(const Tensor& router_logits, int top_k, const Tensor& ids, const Tensor& weights);
// moe_experts: x and out F32 [tokens, hidden], apart; ids I32 and weights F32 [tokens, top_k >= 1];
// one gate, up and down tensor per expert, of a compute dtype and the shapes moe_weights.h gives.
void check_moe_experts_shapes(const Tensor& x, const Tensor& ids, const Tensor& weights,
                              const MoeExpertWeights& experts, const Tensor& out);
// Every id in [0, num_experts).
void check_moe_expert_ids(const Tensor& ids, int num_experts);
// add_sigmoid_scaled: x and y F32 [tokens, n], gate F32 [tokens, 1].
void check_add_sigmoid_scaled_shapes(const Tensor& x, const Tensor& y, const Tensor& gate);

// The first KV position query row `j` of a sequence with `q_len` queries and `seq_len` tokens
// sees (see backend.h), and its own position.
inline int64_t attention_query_position(int64_t seq_len, int64_t q_len, int64_t j) { return seq_len - q_len + j; }
inline int64_t attention_window_start(int64_t position, int sliding_window) {
  return sliding_window > 0 && position - sliding_window + 1 > 0 ? position - sliding_window + 1 : 0;
}

}  // namespace turbine::cpu
