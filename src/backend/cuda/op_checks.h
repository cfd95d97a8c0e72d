// Argument checks of the CUDA backend, made on the host before a launch.
//
// The CUDA backend's activations and KV cache are BF16 (the CPU's are F32), so the CPU's
// op_checks do not apply as they are; these mirror them op for op, plus what the kernels need
// (alignment, head_dim limits). A wrong shape or dtype from the model or runner is a Turbine bug
// and aborts through TURBINE_CHECK; a model the backend cannot run (a weight format without a
// kernel: backend/linear_kernel_table.h) is the user's input and throws turbine::Error. Index arrays
// live in device memory and are checked by the kernels (common/device_error.h).
#pragma once

#include "backend/backend.h"

namespace turbine::cuda {

// Activations and the KV cache are BF16 on this backend.
void check_bf16(const char* op, const char* what, const Tensor& t);
void check_embedding(const Tensor& table, const Tensor& out);
void check_rms_norm(const char* op, const Tensor& x, const Tensor& weight, const Tensor& out);
// rms_norm's checks, plus an optional bias (data == nullptr: none) of the weight's shape.
void check_layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& out);
void check_linear(const Tensor& x, const Tensor& weight, const Tensor* bias, const Tensor& out);
// Whether linear can take cuBLASLt / the GEMV (in_features % 8 == 0, 16-byte aligned operands);
// otherwise it runs the slow any-shape kernel (linear/linear_simt.h).
bool linear_fast_path_ok(const Tensor& x, const Tensor& weight, const Tensor& out);
void check_rope(const Tensor& x, int head_dim, const Tensor& cos_sin);
// A cos/sin table of rope() or qkv_rope_write_kv(): F32, its width (the rotary width) even and in
// (0, head_dim]. Rows are the caller's to check.
void check_cos_sin(const char* op, const Tensor& cos_sin, int head_dim);
void check_same_shape(const char* op, const Tensor& a, const Tensor& b);
// One tensor of an in-place elementwise op that takes BF16 activations or F32 (the logits).
void check_bf16_or_f32(const char* op, const Tensor& x);
// A stacked BF16 [rows, 2n] gate_up (each row gate then up) and its [rows, n] out, apart.
void check_gate_up(const char* op, const Tensor& gate_up, const Tensor& out);
// A soft-capping cap: finite and > 0.
void check_softcap(float cap);
void check_write_kv(const Tensor& k, const Tensor& v, const AttentionBatch& batch, const KvCacheLayer& cache);
void check_attention(const Tensor& q, const KvCacheLayer& cache, const AttentionBatch& batch,
                     const AttentionShape& shape, const Tensor& out);
void check_gather_rows(const Tensor& x, const Tensor& out);
// moe_route: router_logits BF16 or F32 [tokens, num_experts >= 1], 1 <= top_k <= num_experts,
// ids I32 and weights F32 [tokens, top_k].
void check_moe_route(const Tensor& router_logits, int top_k, const Tensor& ids, const Tensor& weights);
// moe_experts: x and out BF16 [tokens, hidden], apart; ids I32 and weights F32 [tokens, top_k >= 1];
// the stacked views set (this backend reads no per-expert tensor), of one compute dtype and the
// shapes moe_weights.h gives; hidden and intermediate at most kMoeMaxWidth (moe/moe.h).
void check_moe_experts(const Tensor& x, const Tensor& ids, const Tensor& weights, const MoeExpertWeights& experts,
                       const Tensor& out);
// add_sigmoid_scaled: x and y BF16 [tokens, n], gate BF16 or F32 [tokens, 1].
void check_add_sigmoid_scaled(const Tensor& x, const Tensor& y, const Tensor& gate);

}  // namespace turbine::cuda
