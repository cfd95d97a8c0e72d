#include "model/decoder_layers.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "model/linear_loader.h"
#include "model/weight_store.h"

namespace turbine {
DecoderLayer load_decoder_layer(WeightStore& w, const LinearLoader& linears, const ModelConfig& c, int index,
                                const DecoderLayerOptions& o, const LayerSpec& spec, const std::string& prefix) {
  const std::string p = fmt::format("{}layers.{}.", prefix, index);
  const int64_t h = c.hidden_size;
  const int64_t q_dim = int64_t(c.num_heads) * c.head_dim;
  const int64_t kv_dim = int64_t(c.num_kv_heads) * c.head_dim;
  DecoderLayer layer;
  layer.attention_norm = w.get(p + "input_layernorm.weight", {h});
  switch (spec.norms) {
    case NormPlacement::kPreNorm:
      layer.mlp_norm = w.get(p + "post_attention_layernorm.weight", {h});
      break;
    case NormPlacement::kSandwich:
      layer.attention_out_norm = w.get(p + "post_attention_layernorm.weight", {h});
      layer.mlp_norm = w.get(p + "pre_feedforward_layernorm.weight", {h});
      layer.mlp_out_norm = w.get(p + "post_feedforward_layernorm.weight", {h});
      break;
  }
  AttentionWeights& a = layer.attention;
  a.q = linears.load(w, p + "self_attn.q_proj", q_dim, h, o.qkv_bias);
  a.k = linears.load(w, p + "self_attn.k_proj", kv_dim, h, o.qkv_bias);
  a.v = linears.load(w, p + "self_attn.v_proj", kv_dim, h, o.qkv_bias);
  a.o = linears.load(w, p + "self_attn.o_proj", h, q_dim, o.o_bias);
  if (o.qk_norm) {
    a.q_norm = w.get(p + "self_attn.q_norm.weight", {c.head_dim});
    a.k_norm = w.get(p + "self_attn.k_norm.weight", {c.head_dim});
  }
  GatedMlpWeights& m = layer.mlp;
  m.gate = linears.load(w, p + "mlp.gate_proj", c.intermediate_size, h, o.mlp_bias);
  m.up = linears.load(w, p + "mlp.up_proj", c.intermediate_size, h, o.mlp_bias);
  m.down = linears.load(w, p + "mlp.down_proj", h, c.intermediate_size, o.mlp_bias);
  return layer;
}

std::vector<Tensor*> norms(DecoderLayer& l) {
  std::vector<Tensor*> out;
  for (Tensor* t : {&l.attention_norm, &l.attention_out_norm, &l.mlp_norm, &l.mlp_out_norm, &l.attention.q_norm,
                    &l.attention.k_norm})
    if (t->data) out.push_back(t);
  return out;
}

std::vector<LinearWeights*> projections(DecoderLayer& l) {
  AttentionWeights& a = l.attention;
  GatedMlpWeights& m = l.mlp;
  return {&a.q, &a.k, &a.v, &a.o, &m.gate, &m.up, &m.down};
}

void Workspace::reserve(Backend& backend, const ModelConfig& c, int num_tokens, int num_logits) {
  const DType dt = backend.activation_dtype();
  // The logit rows grow on their own (a prompt_logprobs request may want many), so that the
  // per-token buffers, which CUDA graphs capture by address, move only if the token budget grows.
  if (num_logits > logit_capacity_ || !last_hidden.data) {
    logit_capacity_ = std::max({num_logits, logit_capacity_, 1});
    last_hidden_buffer_ = DeviceBuffer();
    last_hidden_buffer_ = backend.allocate(size_t(logit_capacity_) * size_t(c.hidden_size) * dtype_size(dt));
    last_hidden = last_hidden_buffer_.as_tensor(dt, logit_capacity_, c.hidden_size);
  }
  if (num_tokens <= token_capacity_) return;
  token_capacity_ = num_tokens;
  buffers_.clear();
  const int64_t t = token_capacity_;
  auto make = [&](DType dtype, int64_t rows, int64_t cols) {
    buffers_.push_back(backend.allocate(size_t(rows * cols) * dtype_size(dtype)));
    return buffers_.back().as_tensor(dtype, rows, cols);
  };
  residual = make(dt, t, c.hidden_size);
  normed = make(dt, t, c.hidden_size);
  block_out = make(dt, t, c.hidden_size);
  q = make(dt, t, int64_t(c.num_heads) * c.head_dim);
  attn_out = make(dt, t, int64_t(c.num_heads) * c.head_dim);
  k = make(dt, t, int64_t(c.num_kv_heads) * c.head_dim);
  v = make(dt, t, int64_t(c.num_kv_heads) * c.head_dim);
  gate = make(dt, t, c.intermediate_size);
  up = make(dt, t, c.intermediate_size);
  cos_sin.clear();
  for (int i = 0; i < rope_tables; ++i) cos_sin.push_back(make(DType::kF32, t, c.head_dim));
  step_cos_sin_.reserve(size_t(rope_tables));
  if (fused) {
    qkv = make(dt, t, int64_t(c.num_heads + 2 * c.num_kv_heads) * c.head_dim);
    gate_up = make(dt, t, 2 * int64_t(c.intermediate_size));
  }
}

namespace {

bool stackable(std::initializer_list<const LinearWeights*> parts) {
  const LinearWeights& first = **parts.begin();
  if (!is_dense(first.format)) return false;  // scales and zeros would need their own stacking
  for (const LinearWeights* l : parts) {
    // The format, not the dtype: before the upload a part may still be in its checkpoint dtype.
    if (l->format != first.format || l->weight.cols != first.weight.cols) return false;
    if ((l->bias.data == nullptr) != (first.bias.data == nullptr)) return false;
  }
  return true;
}

// The stacked view over parts placed back to back (by the upload of projection_groups).
Tensor stacked(std::initializer_list<const Tensor*> parts) {
  Tensor t = **parts.begin();
  t.rows = 0;
  for (const Tensor* p : parts) {
    TURBINE_CHECK(p->data == static_cast<char*>(t.data) + t.nbytes() && p->dtype == t.dtype && p->cols == t.cols,
                  "stacked projection parts are not back to back");
    t.rows += p->rows;
  }
  return t;
}

bool fuses_qkv(const AttentionWeights& a) { return stackable({&a.q, &a.k, &a.v}); }

}  // namespace

std::vector<std::vector<Tensor*>> projection_groups(std::vector<DecoderLayer>& layers) {
  std::vector<std::vector<Tensor*>> groups;
  for (DecoderLayer& l : layers) {
    AttentionWeights& a = l.attention;
    if (fuses_qkv(a)) {
      groups.push_back({&a.q.weight, &a.k.weight, &a.v.weight});
      if (a.q.bias.data) groups.push_back({&a.q.bias, &a.k.bias, &a.v.bias});
    }
    GatedMlpWeights& m = l.mlp;
    if (stackable({&m.gate, &m.up})) {
      groups.push_back({&m.gate.weight, &m.up.weight});
      if (m.gate.bias.data) groups.push_back({&m.gate.bias, &m.up.bias});
    }
  }
  return groups;
}

void set_fused_views(std::vector<DecoderLayer>& layers) {
  for (DecoderLayer& l : layers) {
    AttentionWeights& a = l.attention;
    if (fuses_qkv(a)) {
      a.qkv.format = a.q.format;
      a.qkv.weight = stacked({&a.q.weight, &a.k.weight, &a.v.weight});
      if (a.q.bias.data) {
        // Biases are [1, n]: stacking them joins columns, not rows.
        a.qkv.bias = a.q.bias;
        a.qkv.bias.cols = a.q.bias.cols + a.k.bias.cols + a.v.bias.cols;
      }
    }
    GatedMlpWeights& m = l.mlp;
    if (stackable({&m.gate, &m.up})) {
      m.gate_up.format = m.gate.format;
      m.gate_up.weight = stacked({&m.gate.weight, &m.up.weight});
      if (m.gate.bias.data) {
        m.gate_up.bias = m.gate.bias;
        m.gate_up.bias.cols = m.gate.bias.cols + m.up.bias.cols;
      }
    }
  }
}

AttentionShape DecoderStep::attention_shape(const ModelConfig& c, const LayerSpec& layer, int block_size) {
  AttentionShape shape;
  shape.num_heads = c.num_heads;
  shape.num_kv_heads = c.num_kv_heads;
  shape.head_dim = c.head_dim;
  shape.scale = layer.softmax_scale;
  shape.block_size = block_size;
  shape.sliding_window = layer.sliding_window;
  shape.logit_softcap = layer.attn_logit_softcap;
  return shape;
}

DecoderStep::DecoderStep(Backend& b, const ModelConfig& c, const RopeTables& rope, Workspace& w, const ForwardBatch& fb,
                         int block_size_)
    : backend(b), config(c), ws(w), batch(fb), block_size(block_size_), num_tokens(fb.num_tokens) {
  TURBINE_CHECK(num_tokens > 0 && fb.num_logits >= 0, "empty forward batch");
  TURBINE_CHECK(ws.rope_tables == rope.size(), "workspace has {} RoPE buffers, the model {} tables", ws.rope_tables,
                rope.size());
  ws.reserve(b, c, num_tokens, fb.num_logits);
  ws.step_cos_sin_.clear();  // capacity reserved: no allocation
  for (const Tensor& t : ws.cos_sin) ws.step_cos_sin_.push_back(rows(t));
  rope.fill_step(backend, fb, ws.step_cos_sin_.data(), ws.host_cos_sin_);
}

void DecoderStep::embed(const Tensor& embed_tokens, float scale) {
  Tensor out = rows(ws.residual);
  backend.embedding(embed_tokens, batch.token_ids, out);
  if (scale != 1.0f) backend.scale(out, scale);
}

void DecoderStep::decoder_layer(const DecoderLayer& layer, const LayerSpec& spec, KvCacheLayer& cache, bool first) {
  const bool sandwich = spec.norms == NormPlacement::kSandwich;
  pre_norm(layer.attention_norm, first);
  self_attention(layer.attention, spec, cache);
  if (sandwich) post_norm(layer.attention_out_norm);
  pre_norm(layer.mlp_norm, /*first=*/false);
  gated_mlp(layer.mlp);
  if (sandwich) post_norm(layer.mlp_out_norm);
}

void DecoderStep::pre_norm(const Tensor& weight, bool first) {
  Tensor residual = rows(ws.residual), normed = rows(ws.normed);
  const float eps = float(config.rms_norm_eps);
  if (!first) {
    backend.add_rms_norm(residual, rows(ws.block_out), weight, eps, normed);
  } else {
    backend.rms_norm(residual, weight, eps, normed);
  }
}

void DecoderStep::post_norm(const Tensor& weight) {
  Tensor out = rows(ws.block_out);
  backend.rms_norm(out, weight, float(config.rms_norm_eps), out);
}

void DecoderStep::self_attention(const AttentionWeights& w, const LayerSpec& spec, KvCacheLayer& cache) {
  const Tensor x = rows(ws.normed);
  Tensor q = rows(ws.q), k = rows(ws.k), v = rows(ws.v), attn = rows(ws.attn_out), out = rows(ws.block_out);
  const Tensor& cos_sin = ws.step_cos_sin_[size_t(spec.rope_table)];
  const AttentionShape shape = attention_shape(config, spec, block_size);
  if (!w.qkv.empty()) {
    Tensor qkv = rows(ws.qkv);
    project(w.qkv, x, qkv);
    QkHeadNorm head_norm;
    if (w.q_norm.data) head_norm = {&w.q_norm, &w.k_norm, float(config.rms_norm_eps)};
    backend.qkv_rope_write_kv(qkv, cos_sin, config.num_heads, config.num_kv_heads, config.head_dim,
                              head_norm, batch.attention, cache, q);
    backend.attention(q, cache, batch.attention, shape, attn);
    project(w.o, attn, out);
    return;
  }
  project(w.q, x, q);
  project(w.k, x, k);
  project(w.v, x, v);
  if (w.q_norm.data) {  // per-head RMSNorm before RoPE: view [tokens, heads * d] as [tokens * heads, d]
    Tensor qh = q.reshaped(config.head_dim), kh = k.reshaped(config.head_dim);
    backend.rms_norm(qh, w.q_norm, float(config.rms_norm_eps), qh);
    backend.rms_norm(kh, w.k_norm, float(config.rms_norm_eps), kh);
  }
  backend.rope(q, config.head_dim, cos_sin);
  backend.rope(k, config.head_dim, cos_sin);
  backend.write_kv(k, v, batch.attention, cache);
  backend.attention(q, cache, batch.attention, shape, attn);
  project(w.o, attn, out);
}

void DecoderStep::gated_mlp(const GatedMlpWeights& w) {
  const Tensor x = rows(ws.normed);
  Tensor gate = rows(ws.gate), up = rows(ws.up), out = rows(ws.block_out);
  const bool gelu = mlp_activation == MlpActivation::kGeluTanh;
  if (!w.gate_up.empty()) {
    Tensor gate_up = rows(ws.gate_up);
    project(w.gate_up, x, gate_up);
    if (gelu) {
      backend.gelu_tanh_mul_fused(gate_up, gate);
    } else {
      backend.silu_mul_fused(gate_up, gate);
    }
    project(w.down, gate, out);
    return;
  }
  project(w.gate, x, gate);
  project(w.up, x, up);
  if (gelu) {
    backend.gelu_tanh_mul(gate, up, gate);
  } else {
    backend.silu_mul(gate, up, gate);
  }
  project(w.down, gate, out);
}

void DecoderStep::logits(const Tensor& final_norm, const LinearWeights& lm_head, Tensor& out, float softcap) {
  if (batch.num_logits == 0) return;  // a prefill chunk that does not end its prompt
  Tensor residual = rows(ws.residual);
  backend.add(residual, rows(ws.block_out));
  Tensor last = {ws.last_hidden.data, ws.last_hidden.dtype, batch.num_logits, ws.last_hidden.cols};
  backend.gather_rows(residual, batch.logits_rows, last);
  backend.rms_norm(last, final_norm, float(config.rms_norm_eps), last);
  TURBINE_CHECK(out.rows == batch.num_logits && out.cols == config.vocab_size, "logits buffer is [{}, {}]", out.rows,
                out.cols);
  project(lm_head, last, out);
  if (softcap > 0.0f) backend.softcap(out, softcap);
}

}  // namespace turbine
