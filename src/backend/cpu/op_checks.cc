#include "backend/cpu/op_checks.h"

#include <cmath>
#include <cstdint>

#include "common/error.h"

namespace turbine::cpu {
namespace {

void check_f32(const char* op, const char* what, const Tensor& t) {
  TURBINE_CHECK(t.dtype == DType::kF32, "{}: {} must be F32, got {}", op, what, dtype_name(t.dtype));
  TURBINE_CHECK(t.rows >= 0 && t.cols >= 0, "{}: {} has negative shape [{}, {}]", op, what, t.rows, t.cols);
  TURBINE_CHECK(t.data != nullptr || t.numel() == 0, "{}: {} has no data", op, what);
}

void check_weight(const char* op, const char* what, const Tensor& t) {
  // Storage dtypes (FP8, integers) belong to a weight format's kernel, never to these ops.
  TURBINE_CHECK(is_compute_dtype(t.dtype), "{}: {} must be F32, BF16 or F16, got {}", op, what, dtype_name(t.dtype));
  TURBINE_CHECK(t.rows >= 0 && t.cols >= 0, "{}: {} has negative shape [{}, {}]", op, what, t.rows, t.cols);
  TURBINE_CHECK(t.data != nullptr || t.numel() == 0, "{}: {} has no data", op, what);
}

}  // namespace

void check_embedding_shapes(const Tensor& table, const Tensor& out) {
  check_weight("embedding", "table", table);
  check_f32("embedding", "out", out);
  TURBINE_CHECK(out.cols == table.cols, "embedding: out has {} columns, table has {}", out.cols, table.cols);
}

void check_embedding_indices(const Tensor& table, const int32_t* ids, int64_t count) {
  TURBINE_CHECK(ids != nullptr || count == 0, "embedding: ids is null");
  for (int64_t i = 0; i < count; ++i) {
    TURBINE_CHECK(ids[i] >= 0 && ids[i] < table.rows, "embedding: id {} at {} is outside [0, {})", ids[i], i,
                  table.rows);
  }
}

void check_rms_norm_shapes(const char* op, const Tensor& x, const Tensor& weight, const Tensor& out) {
  check_f32(op, "x", x);
  check_f32(op, "out", out);
  check_weight(op, "weight", weight);
  TURBINE_CHECK(weight.rows == 1 && weight.cols == x.cols, "{}: weight is [{}, {}], expected [1, {}]", op,
                weight.rows, weight.cols, x.cols);
  TURBINE_CHECK(out.rows == x.rows && out.cols == x.cols, "{}: out is [{}, {}], x is [{}, {}]", op, out.rows,
                out.cols, x.rows, x.cols);
  TURBINE_CHECK(x.cols > 0 || x.rows == 0, "{}: rows of zero width", op);
}

void check_layer_norm_shapes(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& out) {
  check_rms_norm_shapes("layer_norm", x, weight, out);
  if (bias.data == nullptr) return;
  check_weight("layer_norm", "bias", bias);
  TURBINE_CHECK(bias.rows == 1 && bias.cols == x.cols, "layer_norm: bias is [{}, {}], expected [1, {}]", bias.rows,
                bias.cols, x.cols);
}

void check_linear_shapes(const Tensor& x, const Tensor& weight, const Tensor* bias, const Tensor& out) {
  check_f32("linear", "x", x);
  check_f32("linear", "out", out);
  check_weight("linear", "weight", weight);
  TURBINE_CHECK(weight.cols == x.cols, "linear: x is [{}, {}] but weight is [{}, {}]", x.rows, x.cols, weight.rows,
                weight.cols);
  TURBINE_CHECK(out.rows == x.rows && out.cols == weight.rows, "linear: out is [{}, {}], expected [{}, {}]",
                out.rows, out.cols, x.rows, weight.rows);
  TURBINE_CHECK(out.data != x.data || out.numel() == 0, "linear: out aliases x");
  if (bias != nullptr) {
    check_weight("linear", "bias", *bias);
    TURBINE_CHECK(bias->rows == 1 && bias->cols == weight.rows, "linear: bias is [{}, {}], expected [1, {}]",
                  bias->rows, bias->cols, weight.rows);
  }
}

void check_rope_shapes(const Tensor& x, int head_dim, const Tensor& cos_sin) {
  check_f32("rope", "x", x);
  check_f32("rope", "cos_sin", cos_sin);
  TURBINE_CHECK(head_dim > 0 && head_dim % 2 == 0, "rope: head_dim {} must be positive and even", head_dim);
  TURBINE_CHECK(x.cols % head_dim == 0, "rope: x has {} columns, not a multiple of head_dim {}", x.cols, head_dim);
  TURBINE_CHECK(cos_sin.rows == x.rows && cos_sin.cols > 0 && cos_sin.cols % 2 == 0 && cos_sin.cols <= head_dim,
                "rope: cos_sin is [{}, {}], expected [{}, an even rotary width in (0, head_dim {}]]", cos_sin.rows,
                cos_sin.cols, x.rows, head_dim);
}

void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  check_f32(op, "first operand", a);
  check_f32(op, "second operand", b);
  TURBINE_CHECK(a.rows == b.rows && a.cols == b.cols, "{}: shapes differ: [{}, {}] vs [{}, {}]", op, a.rows, a.cols,
                b.rows, b.cols);
}

void check_elementwise(const char* op, const Tensor& x) { check_f32(op, "x", x); }

void check_gate_up_shapes(const char* op, const Tensor& gate_up, const Tensor& out) {
  check_f32(op, "gate_up", gate_up);
  check_f32(op, "out", out);
  TURBINE_CHECK(gate_up.rows == out.rows && gate_up.cols == 2 * out.cols, "{}: gate_up is [{}, {}], out [{}, {}]", op,
                gate_up.rows, gate_up.cols, out.rows, out.cols);
  const uintptr_t g = reinterpret_cast<uintptr_t>(gate_up.data), o = reinterpret_cast<uintptr_t>(out.data);
  TURBINE_CHECK(out.numel() == 0 || o + out.nbytes() <= g || g + gate_up.nbytes() <= o, "{}: out overlaps gate_up", op);
}

void check_softcap(float cap) {
  TURBINE_CHECK(cap > 0.0f && std::isfinite(cap), "softcap: cap {} must be finite and > 0", cap);
}

void check_write_kv_shapes(const Tensor& k, const Tensor& v, const AttentionBatch& batch, const KvCacheLayer& cache) {
  check_f32("write_kv", "k", k);
  check_f32("write_kv", "v", v);
  check_f32("write_kv", "cache.k", cache.k);
  check_f32("write_kv", "cache.v", cache.v);
  TURBINE_CHECK(k.rows == batch.num_tokens && v.rows == batch.num_tokens,
                "write_kv: k has {} rows and v {}, the batch has {} tokens", k.rows, v.rows, batch.num_tokens);
  TURBINE_CHECK(k.cols == cache.k.cols && v.cols == cache.v.cols && k.cols == v.cols,
                "write_kv: k/v have {}/{} columns, the caches {}/{}", k.cols, v.cols, cache.k.cols, cache.v.cols);
  TURBINE_CHECK(cache.k.rows == cache.v.rows, "write_kv: K cache has {} rows, V cache {}", cache.k.rows, cache.v.rows);
  TURBINE_CHECK(batch.slot_mapping != nullptr || batch.num_tokens == 0, "write_kv: slot_mapping is null");
}

void check_write_kv_indices(const AttentionBatch& batch, const KvCacheLayer& cache) {
  for (int i = 0; i < batch.num_tokens; ++i) {
    TURBINE_CHECK(batch.slot_mapping[i] < cache.k.rows, "write_kv: slot {} of token {} is outside a cache of {} rows",
                  batch.slot_mapping[i], i, cache.k.rows);
  }
}

void check_attention_shapes(const Tensor& q, const KvCacheLayer& cache, const AttentionBatch& batch,
                            const AttentionShape& shape, const Tensor& out) {
  check_f32("attention", "q", q);
  check_f32("attention", "out", out);
  check_f32("attention", "cache.k", cache.k);
  check_f32("attention", "cache.v", cache.v);
  TURBINE_CHECK(shape.num_heads > 0 && shape.num_kv_heads > 0 && shape.num_heads % shape.num_kv_heads == 0,
                "attention: {} heads cannot share {} KV heads", shape.num_heads, shape.num_kv_heads);
  TURBINE_CHECK(shape.head_dim > 0 && shape.block_size > 0 && shape.sliding_window >= 0,
                "attention: bad head_dim {}, block_size {} or sliding_window {}", shape.head_dim, shape.block_size,
                shape.sliding_window);
  TURBINE_CHECK(shape.logit_softcap >= 0.0f && std::isfinite(shape.logit_softcap),
                "attention: bad logit_softcap {}", shape.logit_softcap);
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
  TURBINE_CHECK(batch.num_seqs >= 0 && batch.max_blocks_per_seq >= 0, "attention: bad batch sizes");
  TURBINE_CHECK(batch.num_seqs == 0 || (batch.query_start && batch.seq_lens && batch.block_tables),
                "attention: batch index arrays are null");
}

void check_attention_indices(const KvCacheLayer& cache, const AttentionBatch& batch, const AttentionShape& shape) {
  const int64_t num_blocks = cache.k.rows / shape.block_size;
  TURBINE_CHECK(batch.num_seqs == 0 || batch.query_start[0] == 0, "attention: query_start[0] is {}",
                batch.num_seqs ? batch.query_start[0] : 0);
  TURBINE_CHECK(batch.num_seqs > 0 || batch.num_tokens == 0, "attention: {} tokens but no sequences",
                batch.num_tokens);
  for (int s = 0; s < batch.num_seqs; ++s) {
    const int64_t q_len = int64_t(batch.query_start[s + 1]) - batch.query_start[s];
    const int64_t seq_len = batch.seq_lens[s];
    TURBINE_CHECK(q_len >= 0, "attention: query_start decreases at sequence {}", s);
    TURBINE_CHECK(seq_len >= q_len, "attention: sequence {} has {} queries but only {} tokens of KV", s, q_len,
                  seq_len);
    TURBINE_CHECK(seq_len <= int64_t(batch.max_blocks_per_seq) * shape.block_size,
                  "attention: sequence {} has {} tokens, more than {} blocks of {} hold", s, seq_len,
                  batch.max_blocks_per_seq, shape.block_size);
    if (q_len == 0) continue;
    const int64_t first = attention_window_start(attention_query_position(seq_len, q_len, 0), shape.sliding_window);
    const int32_t* table = batch.block_tables + int64_t(s) * batch.max_blocks_per_seq;
    for (int64_t b = first / shape.block_size; b <= (seq_len - 1) / shape.block_size; ++b) {
      TURBINE_CHECK(table[b] >= 0 && table[b] < num_blocks,
                    "attention: sequence {} block {} is id {}, outside a cache of {} blocks", s, b, table[b],
                    num_blocks);
    }
  }
  TURBINE_CHECK(batch.num_seqs == 0 || batch.query_start[batch.num_seqs] == batch.num_tokens,
                "attention: query_start ends at {}, the batch has {} tokens",
                batch.num_seqs ? batch.query_start[batch.num_seqs] : 0, batch.num_tokens);
}

void check_gather_rows_shapes(const Tensor& x, const Tensor& out) {
  check_weight("gather_rows", "x", x);
  check_weight("gather_rows", "out", out);
  TURBINE_CHECK(x.dtype == out.dtype && x.cols == out.cols, "gather_rows: x is {} [{}, {}], out is {} [{}, {}]",
                dtype_name(x.dtype), x.rows, x.cols, dtype_name(out.dtype), out.rows, out.cols);
}

void check_gather_rows_indices(const Tensor& x, const int32_t* rows, int64_t count) {
  TURBINE_CHECK(rows != nullptr || count == 0, "gather_rows: rows is null");
  for (int64_t i = 0; i < count; ++i) {
    TURBINE_CHECK(rows[i] >= 0 && rows[i] < x.rows, "gather_rows: row {} at {} is outside [0, {})", rows[i], i,
                  x.rows);
  }
}

void check_i32(const char* op, const char* what, const Tensor& t) {
  TURBINE_CHECK(t.dtype == DType::kI32, "{}: {} must be I32, got {}", op, what, dtype_name(t.dtype));
  TURBINE_CHECK(t.rows >= 0 && t.cols >= 0, "{}: {} has negative shape [{}, {}]", op, what, t.rows, t.cols);
  TURBINE_CHECK(t.data != nullptr || t.numel() == 0, "{}: {} has no data", op, what);
}

void check_moe_route_shapes(const Tensor& router_logits, int top_k, const Tensor& ids, const Tensor& weights) {
  check_f32("moe_route", "router_logits", router_logits);
  check_i32("moe_route", "ids", ids);
  check_f32("moe_route", "weights", weights);
  TURBINE_CHECK(router_logits.cols >= 1, "moe_route: router_logits has no experts");
  TURBINE_CHECK(top_k >= 1 && top_k <= router_logits.cols, "moe_route: top_k {} is outside [1, {}]", top_k,
                router_logits.cols);
  TURBINE_CHECK(ids.rows == router_logits.rows && ids.cols == top_k,
                "moe_route: ids is [{}, {}], expected [{}, {}]", ids.rows, ids.cols, router_logits.rows, top_k);
  TURBINE_CHECK(weights.rows == router_logits.rows && weights.cols == top_k,
                "moe_route: weights is [{}, {}], expected [{}, {}]", weights.rows, weights.cols, router_logits.rows,
                top_k);
}

void check_moe_experts_shapes(const Tensor& x, const Tensor& ids, const Tensor& weights,
                              const MoeExpertWeights& experts, const Tensor& out) {
  check_f32("moe_experts", "x", x);
  check_f32("moe_experts", "out", out);
  check_i32("moe_experts", "ids", ids);
  check_f32("moe_experts", "weights", weights);
  TURBINE_CHECK(experts.num_experts >= 1 && experts.hidden >= 1 && experts.intermediate >= 1,
                "moe_experts: {} experts of hidden {} and intermediate {}", experts.num_experts, experts.hidden,
                experts.intermediate);
  TURBINE_CHECK(x.cols == experts.hidden, "moe_experts: x is [{}, {}], the experts' hidden size is {}", x.rows, x.cols,
                experts.hidden);
  TURBINE_CHECK(out.rows == x.rows && out.cols == x.cols, "moe_experts: out is [{}, {}], x is [{}, {}]", out.rows,
                out.cols, x.rows, x.cols);
  const uintptr_t xb = reinterpret_cast<uintptr_t>(x.data), ob = reinterpret_cast<uintptr_t>(out.data);
  TURBINE_CHECK(out.numel() == 0 || ob + out.nbytes() <= xb || xb + x.nbytes() <= ob, "moe_experts: out overlaps x");
  TURBINE_CHECK(ids.rows == x.rows && ids.cols >= 1 && weights.rows == ids.rows && weights.cols == ids.cols,
                "moe_experts: ids is [{}, {}] and weights [{}, {}], expected [{}, top_k >= 1] both", ids.rows,
                ids.cols, weights.rows, weights.cols, x.rows);
  const size_t n = size_t(experts.num_experts);
  TURBINE_CHECK(experts.gate.size() == n && experts.up.size() == n && experts.down.size() == n,
                "moe_experts: {} experts but {} gate, {} up and {} down tensors", n, experts.gate.size(),
                experts.up.size(), experts.down.size());
  for (size_t e = 0; e < n; ++e) {
    check_weight("moe_experts", "an expert's gate", experts.gate[e]);
    check_weight("moe_experts", "an expert's up", experts.up[e]);
    check_weight("moe_experts", "an expert's down", experts.down[e]);
    const Tensor &g = experts.gate[e], &u = experts.up[e], &d = experts.down[e];
    TURBINE_CHECK(g.rows == experts.intermediate && g.cols == experts.hidden && u.rows == experts.intermediate &&
                      u.cols == experts.hidden && d.rows == experts.hidden && d.cols == experts.intermediate,
                  "moe_experts: expert {} has gate [{}, {}], up [{}, {}], down [{}, {}]; expected [{}, {}] twice and "
                  "[{}, {}]",
                  e, g.rows, g.cols, u.rows, u.cols, d.rows, d.cols, experts.intermediate, experts.hidden,
                  experts.hidden, experts.intermediate);
  }
}

void check_moe_expert_ids(const Tensor& ids, int num_experts) {
  const int32_t* p = ids.as<const int32_t>();
  for (int64_t i = 0; i < ids.numel(); ++i) {
    TURBINE_CHECK(p[i] >= 0 && p[i] < num_experts, "moe_experts: expert id {} at [{}, {}] is outside [0, {})", p[i],
                  i / ids.cols, i % ids.cols, num_experts);
  }
}

void check_add_sigmoid_scaled_shapes(const Tensor& x, const Tensor& y, const Tensor& gate) {
  check_same_shape("add_sigmoid_scaled", x, y);
  check_f32("add_sigmoid_scaled", "gate", gate);
  TURBINE_CHECK(gate.rows == x.rows && gate.cols == 1, "add_sigmoid_scaled: gate is [{}, {}], expected [{}, 1]",
                gate.rows, gate.cols, x.rows);
}

}  // namespace turbine::cpu
