#include "backend/cuda/op_checks.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "backend/cuda/attention/paged_attention.h"
#include "backend/cuda/moe/moe.h"
#include "common/error.h"

namespace turbine::cuda {
namespace {

bool aligned(const void* p, uintptr_t bytes) { return (reinterpret_cast<uintptr_t>(p) & (bytes - 1)) == 0; }

void check_tensor(const char* op, const char* what, const Tensor& t) {
  // Storage dtypes (FP8, integers) belong to a weight format's kernel, never to these ops.
  TURBINE_CHECK(is_compute_dtype(t.dtype), "{}: {} must be F32, BF16 or F16, got {}", op, what, dtype_name(t.dtype));
  TURBINE_CHECK(t.rows >= 0 && t.cols >= 0, "{}: {} has negative shape [{}, {}]", op, what, t.rows, t.cols);
  TURBINE_CHECK(t.data != nullptr || t.numel() == 0, "{}: {} has no data", op, what);
  TURBINE_CHECK(aligned(t.data, dtype_size(t.dtype)), "{}: {} ({}) is not aligned to its element size", op, what,
                dtype_name(t.dtype));
}

void check_i32(const char* op, const char* what, const Tensor& t) {
  TURBINE_CHECK(t.dtype == DType::kI32, "{}: {} must be I32, got {}", op, what, dtype_name(t.dtype));
  TURBINE_CHECK(t.rows >= 0 && t.cols >= 0, "{}: {} has negative shape [{}, {}]", op, what, t.rows, t.cols);
  TURBINE_CHECK(t.data != nullptr || t.numel() == 0, "{}: {} has no data", op, what);
  TURBINE_CHECK(aligned(t.data, 4), "{}: {} is not aligned to its element size", op, what);
}

void check_f32(const char* op, const char* what, const Tensor& t) {
  TURBINE_CHECK(t.dtype == DType::kF32, "{}: {} must be F32, got {}", op, what, dtype_name(t.dtype));
  check_tensor(op, what, t);
}

bool apart(const Tensor& a, const Tensor& b) {
  const auto* ab = static_cast<const char*>(a.data);
  const auto* bb = static_cast<const char*>(b.data);
  return a.numel() == 0 || b.numel() == 0 || ab + a.nbytes() <= bb || bb + b.nbytes() <= ab;
}

}  // namespace

// Activations and the KV cache: BF16 on this backend.
void check_bf16(const char* op, const char* what, const Tensor& t) {
  TURBINE_CHECK(t.dtype == DType::kBF16, "{}: {} must be BF16 on the CUDA backend, got {}", op, what,
                dtype_name(t.dtype));
  check_tensor(op, what, t);
}


void check_embedding(const Tensor& table, const Tensor& out) {
  check_tensor("embedding", "table", table);
  check_bf16("embedding", "out", out);
  TURBINE_CHECK(out.cols == table.cols, "embedding: out has {} columns, table has {}", out.cols, table.cols);
  TURBINE_CHECK(table.rows <= std::numeric_limits<int32_t>::max(), "embedding: table has {} rows", table.rows);
}

void check_rms_norm(const char* op, const Tensor& x, const Tensor& weight, const Tensor& out) {
  check_bf16(op, "x", x);
  check_bf16(op, "out", out);
  check_tensor(op, "weight", weight);
  TURBINE_CHECK(weight.rows == 1 && weight.cols == x.cols, "{}: weight is [{}, {}], expected [1, {}]", op,
                weight.rows, weight.cols, x.cols);
  TURBINE_CHECK(out.rows == x.rows && out.cols == x.cols, "{}: out is [{}, {}], x is [{}, {}]", op, out.rows,
                out.cols, x.rows, x.cols);
  TURBINE_CHECK(x.cols > 0 || x.rows == 0, "{}: rows of zero width", op);
}

void check_layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& out) {
  check_rms_norm("layer_norm", x, weight, out);
  if (bias.data == nullptr) return;
  check_tensor("layer_norm", "bias", bias);
  TURBINE_CHECK(bias.rows == 1 && bias.cols == x.cols, "layer_norm: bias is [{}, {}], expected [1, {}]", bias.rows,
                bias.cols, x.cols);
}

bool linear_fast_path_ok(const Tensor& x, const Tensor& weight, const Tensor& out) {
  // cuBLASLt's BF16 kernels (and the GEMV) need every row to start 16-byte aligned: in_features
  // % 8 == 0. cuBLASLt also returned wrong results (no error) on an H200 with CUDA 13.0 for a
  // weight at 8 bytes past a 16-byte boundary although the heuristic was told the real
  // alignment, so only 16-byte aligned operands take the fast path.
  return x.cols % 8 == 0 && aligned(x.data, 16) && aligned(weight.data, 16) && aligned(out.data, 16);
}

void check_linear(const Tensor& x, const Tensor& weight, const Tensor* bias, const Tensor& out) {
  check_bf16("linear", "x", x);
  check_tensor("linear", "weight", weight);
  check_tensor("linear", "out", out);
  // The kernel table sends only dense BF16 here (weight_format.h); the format and dtype agree by construction.
  TURBINE_CHECK(weight.dtype == DType::kBF16, "linear: a dense BF16 weight is {}", dtype_name(weight.dtype));
  TURBINE_CHECK(out.dtype == DType::kBF16 || out.dtype == DType::kF32, "linear: out must be BF16 or F32, got {}",
                dtype_name(out.dtype));
  TURBINE_CHECK(weight.cols == x.cols, "linear: x is [{}, {}] but weight is [{}, {}]", x.rows, x.cols, weight.rows,
                weight.cols);
  TURBINE_CHECK(out.rows == x.rows && out.cols == weight.rows, "linear: out is [{}, {}], expected [{}, {}]", out.rows,
                out.cols, x.rows, weight.rows);
  TURBINE_CHECK(out.data != x.data || out.numel() == 0, "linear: out aliases x");
  if (bias != nullptr) {
    check_tensor("linear", "bias", *bias);
    TURBINE_CHECK(bias->rows == 1 && bias->cols == weight.rows, "linear: bias is [{}, {}], expected [1, {}]",
                  bias->rows, bias->cols, weight.rows);
  }
}

void check_cos_sin(const char* op, const Tensor& cos_sin, int head_dim) {
  check_tensor(op, "cos_sin", cos_sin);
  TURBINE_CHECK(cos_sin.dtype == DType::kF32, "{}: cos_sin must be F32, got {}", op, dtype_name(cos_sin.dtype));
  TURBINE_CHECK(head_dim > 0 && head_dim % 2 == 0, "{}: head_dim {} must be positive and even", op, head_dim);
  TURBINE_CHECK(cos_sin.cols > 0 && cos_sin.cols % 2 == 0 && cos_sin.cols <= head_dim,
                "{}: cos_sin has {} columns, expected an even rotary width in (0, head_dim {}]", op, cos_sin.cols,
                head_dim);
}

void check_rope(const Tensor& x, int head_dim, const Tensor& cos_sin) {
  check_bf16("rope", "x", x);
  check_cos_sin("rope", cos_sin, head_dim);
  TURBINE_CHECK(x.cols % head_dim == 0, "rope: x has {} columns, not a multiple of head_dim {}", x.cols, head_dim);
  TURBINE_CHECK(cos_sin.rows == x.rows, "rope: cos_sin has {} rows, x {}", cos_sin.rows, x.rows);
}

void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  check_bf16(op, "first operand", a);
  check_bf16(op, "second operand", b);
  TURBINE_CHECK(a.rows == b.rows && a.cols == b.cols, "{}: shapes differ: [{}, {}] vs [{}, {}]", op, a.rows, a.cols,
                b.rows, b.cols);
}

void check_bf16_or_f32(const char* op, const Tensor& x) {
  TURBINE_CHECK(x.dtype == DType::kBF16 || x.dtype == DType::kF32, "{}: x must be BF16 or F32 on the CUDA backend, got {}",
                op, dtype_name(x.dtype));
  check_tensor(op, "x", x);
}

void check_gate_up(const char* op, const Tensor& gate_up, const Tensor& out) {
  check_bf16(op, "gate_up", gate_up);
  check_bf16(op, "out", out);
  TURBINE_CHECK(gate_up.rows == out.rows && gate_up.cols == 2 * out.cols, "{}: gate_up is [{}, {}], out [{}, {}]", op,
                gate_up.rows, gate_up.cols, out.rows, out.cols);
  const uintptr_t g = reinterpret_cast<uintptr_t>(gate_up.data), o = reinterpret_cast<uintptr_t>(out.data);
  TURBINE_CHECK(out.numel() == 0 || o + out.nbytes() <= g || g + gate_up.nbytes() <= o, "{}: out overlaps gate_up", op);
}

void check_softcap(float cap) {
  TURBINE_CHECK(cap > 0.0f && std::isfinite(cap), "softcap: cap {} must be finite and > 0", cap);
}

void check_write_kv(const Tensor& k, const Tensor& v, const AttentionBatch& batch, const KvCacheLayer& cache) {
  check_bf16("write_kv", "k", k);
  check_bf16("write_kv", "v", v);
  check_bf16("write_kv", "cache.k", cache.k);
  check_bf16("write_kv", "cache.v", cache.v);
  TURBINE_CHECK(k.rows == batch.num_tokens && v.rows == batch.num_tokens,
                "write_kv: k has {} rows and v {}, the batch has {} tokens", k.rows, v.rows, batch.num_tokens);
  TURBINE_CHECK(k.cols == cache.k.cols && v.cols == cache.v.cols && k.cols == v.cols,
                "write_kv: k/v have {}/{} columns, the caches {}/{}", k.cols, v.cols, cache.k.cols, cache.v.cols);
  TURBINE_CHECK(cache.k.rows == cache.v.rows, "write_kv: K cache has {} rows, V cache {}", cache.k.rows, cache.v.rows);
  TURBINE_CHECK(cache.k.rows <= std::numeric_limits<int32_t>::max(), "write_kv: cache has {} rows", cache.k.rows);
  TURBINE_CHECK(batch.slot_mapping != nullptr || batch.num_tokens == 0, "write_kv: slot_mapping is null");
}

void check_attention(const Tensor& q, const KvCacheLayer& cache, const AttentionBatch& batch,
                     const AttentionShape& shape, const Tensor& out) {
  check_bf16("attention", "q", q);
  check_bf16("attention", "out", out);
  check_bf16("attention", "cache.k", cache.k);
  check_bf16("attention", "cache.v", cache.v);
  TURBINE_CHECK(shape.num_heads > 0 && shape.num_kv_heads > 0 && shape.num_heads % shape.num_kv_heads == 0,
                "attention: {} heads cannot share {} KV heads", shape.num_heads, shape.num_kv_heads);
  TURBINE_CHECK(shape.head_dim > 0 && shape.block_size > 0 && shape.sliding_window >= 0,
                "attention: bad head_dim {}, block_size {} or sliding_window {}", shape.head_dim, shape.block_size,
                shape.sliding_window);
  TURBINE_CHECK(shape.logit_softcap >= 0.0f && std::isfinite(shape.logit_softcap),
                "attention: bad logit_softcap {}", shape.logit_softcap);
  if (shape.head_dim % 8 != 0 || shape.head_dim > kAttentionMaxHeadDim) {
    fail("attention: head_dim {} is not supported by the CUDA backend (a multiple of 8, at most {})", shape.head_dim,
         kAttentionMaxHeadDim);
  }
  const int64_t q_cols = int64_t(shape.num_heads) * shape.head_dim;
  const int64_t kv_cols = int64_t(shape.num_kv_heads) * shape.head_dim;
  TURBINE_CHECK(q.rows == batch.num_tokens && q.cols == q_cols, "attention: q is [{}, {}], expected [{}, {}]", q.rows,
                q.cols, batch.num_tokens, q_cols);
  TURBINE_CHECK(out.rows == q.rows && out.cols == q.cols, "attention: out is [{}, {}], q is [{}, {}]", out.rows,
                out.cols, q.rows, q.cols);
  TURBINE_CHECK(out.data != q.data || out.numel() == 0, "attention: out aliases q");
  TURBINE_CHECK(cache.k.cols == kv_cols && cache.v.cols == kv_cols && cache.k.rows == cache.v.rows,
                "attention: caches are [{}, {}] and [{}, {}], expected [*, {}]", cache.k.rows, cache.k.cols,
                cache.v.rows, cache.v.cols, kv_cols);
  TURBINE_CHECK(cache.k.rows % shape.block_size == 0, "attention: cache rows {} are not whole blocks of {}",
                cache.k.rows, shape.block_size);
  TURBINE_CHECK(cache.k.rows <= std::numeric_limits<int32_t>::max(), "attention: cache has {} rows", cache.k.rows);
  TURBINE_CHECK(aligned(cache.k.data, 16) && aligned(cache.v.data, 16) && aligned(out.data, 16),
                "attention: the caches and out must be 16-byte aligned on the CUDA backend");
  TURBINE_CHECK(batch.num_seqs >= 0 && batch.max_blocks_per_seq >= 0, "attention: bad batch sizes");
  TURBINE_CHECK(batch.num_seqs > 0 || batch.num_tokens == 0, "attention: {} tokens but no sequences",
                batch.num_tokens);
  TURBINE_CHECK(batch.num_seqs == 0 || (batch.query_start && batch.seq_lens && batch.block_tables),
                "attention: batch index arrays are null");
}

void check_gather_rows(const Tensor& x, const Tensor& out) {
  check_tensor("gather_rows", "x", x);
  check_tensor("gather_rows", "out", out);
  TURBINE_CHECK(x.dtype == out.dtype && x.cols == out.cols, "gather_rows: x is {} [{}, {}], out is {} [{}, {}]",
                dtype_name(x.dtype), x.rows, x.cols, dtype_name(out.dtype), out.rows, out.cols);
  TURBINE_CHECK(x.rows <= std::numeric_limits<int32_t>::max(), "gather_rows: x has {} rows", x.rows);
  // Rows are copied in parallel, so out may not overlap x (the CPU's memmove allows it).
  const auto* xb = static_cast<const char*>(x.data);
  const auto* ob = static_cast<const char*>(out.data);
  TURBINE_CHECK(out.numel() == 0 || x.numel() == 0 || ob + out.nbytes() <= xb || xb + x.nbytes() <= ob,
                "gather_rows: out overlaps x");
}

void check_moe_route(const Tensor& router_logits, int top_k, const Tensor& ids, const Tensor& weights) {
  TURBINE_CHECK(router_logits.dtype == DType::kBF16 || router_logits.dtype == DType::kF32,
                "moe_route: router_logits must be BF16 or F32 on the CUDA backend, got {}",
                dtype_name(router_logits.dtype));
  check_tensor("moe_route", "router_logits", router_logits);
  check_i32("moe_route", "ids", ids);
  check_f32("moe_route", "weights", weights);
  TURBINE_CHECK(router_logits.cols >= 1 && router_logits.cols <= std::numeric_limits<int32_t>::max(),
                "moe_route: router_logits has {} experts", router_logits.cols);
  TURBINE_CHECK(top_k >= 1 && top_k <= router_logits.cols, "moe_route: top_k {} is outside [1, {}]", top_k,
                router_logits.cols);
  TURBINE_CHECK(ids.rows == router_logits.rows && ids.cols == top_k,
                "moe_route: ids is [{}, {}], expected [{}, {}]", ids.rows, ids.cols, router_logits.rows, top_k);
  TURBINE_CHECK(weights.rows == router_logits.rows && weights.cols == top_k,
                "moe_route: weights is [{}, {}], expected [{}, {}]", weights.rows, weights.cols, router_logits.rows,
                top_k);
}

void check_moe_experts(const Tensor& x, const Tensor& ids, const Tensor& weights, const MoeExpertWeights& experts,
                       const Tensor& out) {
  check_bf16("moe_experts", "x", x);
  check_bf16("moe_experts", "out", out);
  check_i32("moe_experts", "ids", ids);
  check_f32("moe_experts", "weights", weights);
  TURBINE_CHECK(experts.num_experts >= 1 && experts.hidden >= 1 && experts.intermediate >= 1,
                "moe_experts: {} experts of hidden {} and intermediate {}", experts.num_experts, experts.hidden,
                experts.intermediate);
  TURBINE_CHECK(experts.hidden <= kMoeMaxWidth && experts.intermediate <= kMoeMaxWidth,
                "moe_experts: hidden {} or intermediate {} is over the CUDA kernels' {}", experts.hidden,
                experts.intermediate, kMoeMaxWidth);
  TURBINE_CHECK(x.cols == experts.hidden, "moe_experts: x is [{}, {}], the experts' hidden size is {}", x.rows, x.cols,
                experts.hidden);
  TURBINE_CHECK(out.rows == x.rows && out.cols == x.cols, "moe_experts: out is [{}, {}], x is [{}, {}]", out.rows,
                out.cols, x.rows, x.cols);
  TURBINE_CHECK(apart(x, out), "moe_experts: out overlaps x");
  TURBINE_CHECK(ids.rows == x.rows && ids.cols >= 1 && weights.rows == ids.rows && weights.cols == ids.cols,
                "moe_experts: ids is [{}, {}] and weights [{}, {}], expected [{}, top_k >= 1] both", ids.rows,
                ids.cols, weights.rows, weights.cols, x.rows);
  TURBINE_CHECK(ids.numel() <= std::numeric_limits<int32_t>::max(), "moe_experts: {} routed pairs", ids.numel());
  const Tensor &gate_up = experts.gate_up_stacked, &down = experts.down_stacked;
  TURBINE_CHECK(gate_up.data != nullptr && down.data != nullptr,
                "moe_experts: the CUDA backend reads the stacked expert weights (gate_up_stacked, down_stacked), "
                "which are not set");
  check_tensor("moe_experts", "gate_up_stacked", gate_up);
  check_tensor("moe_experts", "down_stacked", down);
  TURBINE_CHECK(gate_up.dtype == down.dtype, "moe_experts: gate_up_stacked is {}, down_stacked {}",
                dtype_name(gate_up.dtype), dtype_name(down.dtype));
  const int64_t e = experts.num_experts, h = experts.hidden, i = experts.intermediate;
  TURBINE_CHECK(gate_up.rows == e * 2 * i && gate_up.cols == h && down.rows == e * h && down.cols == i,
                "moe_experts: gate_up_stacked is [{}, {}] and down_stacked [{}, {}], expected [{}, {}] and [{}, {}] "
                "for {} experts",
                gate_up.rows, gate_up.cols, down.rows, down.cols, e * 2 * i, h, e * h, i, e);
}

void check_add_sigmoid_scaled(const Tensor& x, const Tensor& y, const Tensor& gate) {
  check_same_shape("add_sigmoid_scaled", x, y);
  TURBINE_CHECK(gate.dtype == DType::kBF16 || gate.dtype == DType::kF32,
                "add_sigmoid_scaled: gate must be BF16 or F32 on the CUDA backend, got {}", dtype_name(gate.dtype));
  check_tensor("add_sigmoid_scaled", "gate", gate);
  TURBINE_CHECK(gate.rows == x.rows && gate.cols == 1, "add_sigmoid_scaled: gate is [{}, {}], expected [{}, 1]",
                gate.rows, gate.cols, x.rows);
}

}  // namespace turbine::cuda
