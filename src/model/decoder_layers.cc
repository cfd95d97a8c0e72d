#include "model/decoder_layers.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

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
  if (spec.moe) return layer;  // its MLP is load_moe_block's
  GatedMlpWeights& m = layer.mlp;
  m.gate = linears.load(w, p + "mlp.gate_proj", c.intermediate_size, h, o.mlp_bias);
  m.up = linears.load(w, p + "mlp.up_proj", c.intermediate_size, h, o.mlp_bias);
  m.down = linears.load(w, p + "mlp.down_proj", h, c.intermediate_size, o.mlp_bias);
  return layer;
}

namespace {

// A [E, rows, cols] parameter as the [E * rows, cols] tensor it is in memory (checked like get()).
Tensor stacked_parameter(WeightStore& w, const std::string& name, int64_t experts, int64_t rows, int64_t cols) {
  const WeightInfo& info = w.get_raw(name);
  const std::vector<int64_t> want = {experts, rows, cols};
  if (info.shape != want)
    fail("{}: shape is [{}], expected [{}, {}, {}]", name, fmt::join(info.shape, ", "), experts, rows, cols);
  if (!is_compute_dtype(info.dtype)) fail("{}: dtype {} is not F32, BF16 or F16", name, dtype_name(info.dtype));
  return {const_cast<std::byte*>(info.data), info.dtype, experts * rows, cols};
}

}  // namespace

void load_moe_block(WeightStore& w, const LinearLoader& linears, const ModelConfig& c, int index, const MoeSpec& s,
                    const std::string& prefix, DecoderLayer& layer) {
  const std::string p = fmt::format("{}layers.{}.{}.", prefix, index, s.block);
  const int64_t h = c.hidden_size, n = s.intermediate, e_count = s.num_experts;
  MoeBlock& m = layer.moe;
  m.router = linears.dense(w.get(p + s.router + ".weight", {e_count, h}), p + s.router + ".weight");
  MoeExpertWeights& x = m.experts;
  x.num_experts = s.num_experts;
  x.hidden = h;
  x.intermediate = n;
  if (w.contains(p + "experts.gate_up_proj")) {  // transformers 5's stacked parameters
    const Tensor gate_up = stacked_parameter(w, p + "experts.gate_up_proj", e_count, 2 * n, h);
    const Tensor down = stacked_parameter(w, p + "experts.down_proj", e_count, h, n);
    for (int64_t e = 0; e < e_count; ++e) {
      x.gate.push_back(gate_up.slice_rows(e * 2 * n, n));
      x.up.push_back(gate_up.slice_rows(e * 2 * n + n, n));
      x.down.push_back(down.slice_rows(e * h, h));
    }
  } else {
    for (int64_t e = 0; e < e_count; ++e) {
      const std::string q = fmt::format("{}experts.{}.", p, e);
      x.gate.push_back(w.get(q + s.gate_name + ".weight", {n, h}));
      x.up.push_back(w.get(q + s.up_name + ".weight", {n, h}));
      x.down.push_back(w.get(q + s.down_name + ".weight", {h, n}));
    }
  }
  if (s.shared_intermediate > 0) {
    const int64_t sn = s.shared_intermediate;
    m.shared.gate = linears.load(w, p + "shared_expert.gate_proj", sn, h, false);
    m.shared.up = linears.load(w, p + "shared_expert.up_proj", sn, h, false);
    m.shared.down = linears.load(w, p + "shared_expert.down_proj", h, sn, false);
    m.shared_gate = linears.load(w, p + "shared_expert_gate", 1, h, false);
  }
}

std::vector<Tensor*> norms(DecoderLayer& l) {
  std::vector<Tensor*> out;
  for (Tensor* t : {&l.attention_norm, &l.attention_norm_bias, &l.attention_out_norm, &l.mlp_norm, &l.mlp_norm_bias,
                    &l.mlp_out_norm, &l.attention.q_norm, &l.attention.k_norm})
    if (t->data) out.push_back(t);
  return out;
}

std::vector<LinearWeights*> projections(DecoderLayer& l) {
  AttentionWeights& a = l.attention;
  GatedMlpWeights& m = l.mlp;
  std::vector<LinearWeights*> out = {&a.q, &a.k, &a.v, &a.o};
  for (LinearWeights* p : {&m.gate, &m.up, &m.down, &l.moe.router, &l.moe.shared.gate, &l.moe.shared.up,
                           &l.moe.shared.down, &l.moe.shared_gate})
    if (!p->empty()) out.push_back(p);
  return out;
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
  const int64_t width = std::max(mlp_width, c.intermediate_size);
  residual = make(dt, t, c.hidden_size);
  normed = make(dt, t, c.hidden_size);
  block_out = make(dt, t, c.hidden_size);
  q = make(dt, t, int64_t(c.num_heads) * c.head_dim);
  attn_out = make(dt, t, int64_t(c.num_heads) * c.head_dim);
  k = make(dt, t, int64_t(c.num_kv_heads) * c.head_dim);
  v = make(dt, t, int64_t(c.num_kv_heads) * c.head_dim);
  gate = make(dt, t, width);
  up = make(dt, t, width);
  if (moe_experts > 0) {
    router_logits = make(dt, t, moe_experts);
    moe_ids = make(DType::kI32, t, moe_top_k);
    moe_weights = make(DType::kF32, t, moe_top_k);
    shared_out = make(dt, t, c.hidden_size);
    shared_gate = make(dt, t, 1);
  }
  cos_sin.clear();
  for (const int width : rope_widths) cos_sin.push_back(make(DType::kF32, t, width > 0 ? width : c.head_dim));
  if (parallel) parallel_out = make(dt, t, c.hidden_size);
  step_cos_sin_.reserve(rope_widths.size());
  if (fused) {
    qkv = make(dt, t, int64_t(c.num_heads + 2 * c.num_kv_heads) * c.head_dim);
    gate_up = make(dt, t, 2 * width);
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
    if (!m.gate.empty() && stackable({&m.gate, &m.up})) {
      groups.push_back({&m.gate.weight, &m.up.weight});
      if (m.gate.bias.data) groups.push_back({&m.gate.bias, &m.up.bias});
    }
    MoeExpertWeights& x = l.moe.experts;
    if (x.num_experts > 0) {  // every expert's gate then up, back to back; then every down
      std::vector<Tensor*> gate_up, down;
      for (int e = 0; e < x.num_experts; ++e) {
        gate_up.push_back(&x.gate[size_t(e)]);
        gate_up.push_back(&x.up[size_t(e)]);
        down.push_back(&x.down[size_t(e)]);
      }
      groups.push_back(std::move(gate_up));
      groups.push_back(std::move(down));
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
    MoeExpertWeights& x = l.moe.experts;
    if (x.num_experts > 0) {
      x.gate_up_stacked = x.gate[0];
      x.gate_up_stacked.rows = 2 * x.num_experts * x.intermediate;
      x.down_stacked = x.down[0];
      x.down_stacked.rows = x.num_experts * x.hidden;
      TURBINE_CHECK(x.up.back().data == static_cast<char*>(x.gate_up_stacked.data) +
                                            (x.gate_up_stacked.nbytes() - x.up.back().nbytes()) &&
                        x.down.back().data == static_cast<char*>(x.down_stacked.data) +
                                                  (x.down_stacked.nbytes() - x.down.back().nbytes()),
                    "MoE experts are not back to back after the upload");
    }
    GatedMlpWeights& m = l.mlp;
    if (!m.gate.empty() && stackable({&m.gate, &m.up})) {
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
  TURBINE_CHECK(int(ws.rope_widths.size()) == rope.size(), "workspace has {} RoPE buffers, the model {} tables",
                ws.rope_widths.size(), rope.size());
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
  if (parallel_residual) {
    // x += attention(norm_a(x)) + mlp(norm_m(x)): both blocks read the same residual stream, and
    // their sum is the block output the next layer's norm adds in.
    pre_norm(layer.attention_norm, layer.attention_norm_bias, first);
    self_attention(layer.attention, spec, cache);
    if (!shared_parallel_norm) {
      Tensor residual = rows(ws.residual), normed = rows(ws.normed);
      backend.layer_norm(residual, layer.mlp_norm, layer.mlp_norm_bias, norm_eps, normed);
    }
    Tensor mlp_out = rows(ws.parallel_out), out = rows(ws.block_out);
    gated_mlp(layer.mlp, mlp_out);
    backend.add(out, mlp_out);
    return;
  }
  const bool sandwich = spec.norms == NormPlacement::kSandwich;
  pre_norm(layer.attention_norm, layer.attention_norm_bias, first);
  self_attention(layer.attention, spec, cache);
  if (sandwich) post_norm(layer.attention_out_norm);
  pre_norm(layer.mlp_norm, layer.mlp_norm_bias, /*first=*/false);
  if (spec.moe) {
    moe_mlp(layer.moe);
  } else {
    gated_mlp(layer.mlp);
  }
  if (sandwich) post_norm(layer.mlp_out_norm);
}

void DecoderStep::pre_norm(const Tensor& weight, const Tensor& bias, bool first) {
  Tensor residual = rows(ws.residual), normed = rows(ws.normed);
  const float eps = norm_eps;
  if (norm_kind == NormKind::kLayerNorm) {
    if (!first) backend.add(residual, rows(ws.block_out));
    backend.layer_norm(residual, weight, bias, eps, normed);
    return;
  }
  if (!first) {
    backend.add_rms_norm(residual, rows(ws.block_out), weight, eps, normed);
  } else {
    backend.rms_norm(residual, weight, eps, normed);
  }
}

void DecoderStep::post_norm(const Tensor& weight) {
  Tensor out = rows(ws.block_out);
  backend.rms_norm(out, weight, norm_eps, out);
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
    if (w.q_norm.data) head_norm = {&w.q_norm, &w.k_norm, norm_eps};
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
    backend.rms_norm(qh, w.q_norm, norm_eps, qh);
    backend.rms_norm(kh, w.k_norm, norm_eps, kh);
  }
  backend.rope(q, config.head_dim, cos_sin);
  backend.rope(k, config.head_dim, cos_sin);
  backend.write_kv(k, v, batch.attention, cache);
  backend.attention(q, cache, batch.attention, shape, attn);
  project(w.o, attn, out);
}

void DecoderStep::gated_mlp(const GatedMlpWeights& w) {
  Tensor out = rows(ws.block_out);
  gated_mlp(w, out);
}

void DecoderStep::moe_mlp(const MoeBlock& m) {
  TURBINE_CHECK(moe != nullptr, "a MoE layer without the model's MoE spec");
  const Tensor x = rows(ws.normed);
  Tensor logits = rows(ws.router_logits), ids = rows(ws.moe_ids), weights = rows(ws.moe_weights);
  Tensor out = rows(ws.block_out);
  project(m.router, x, logits);
  backend.moe_route(logits, moe->top_k, moe->renormalize, ids, weights);
  backend.moe_experts(x, ids, weights, m.experts, out);
  if (m.shared.gate.empty()) return;
  Tensor shared = rows(ws.shared_out), gate = rows(ws.shared_gate);
  gated_mlp(m.shared, shared);
  project(m.shared_gate, x, gate);
  backend.add_sigmoid_scaled(out, shared, gate);
}

void DecoderStep::gated_mlp(const GatedMlpWeights& w, Tensor& out) {
  const Tensor x = rows(ws.normed);
  // The workspace's gate and up buffers fit the widest MLP; this one's width is its down's input.
  const int64_t width = w.down.weight.cols;
  if (w.gate.empty()) {  // plain: down(gelu(up(x))) (check_decoder_spec: exact GELU only)
    Tensor up = {ws.up.data, ws.up.dtype, num_tokens, width};
    project(w.up, x, up);
    backend.gelu(up);
    project(w.down, up, out);
    return;
  }
  Tensor gate = {ws.gate.data, ws.gate.dtype, num_tokens, width}, up = {ws.up.data, ws.up.dtype, num_tokens, width};
  const bool gelu = mlp_activation == MlpActivation::kGeluTanh;
  if (!w.gate_up.empty()) {
    Tensor gate_up = {ws.gate_up.data, ws.gate_up.dtype, num_tokens, 2 * width};
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

void DecoderStep::logits(const Tensor& final_norm, const Tensor& final_norm_bias, const LinearWeights& lm_head,
                         Tensor& out, float softcap) {
  if (batch.num_logits == 0) return;  // a prefill chunk that does not end its prompt
  Tensor residual = rows(ws.residual);
  backend.add(residual, rows(ws.block_out));
  Tensor last = {ws.last_hidden.data, ws.last_hidden.dtype, batch.num_logits, ws.last_hidden.cols};
  backend.gather_rows(residual, batch.logits_rows, last);
  if (norm_kind == NormKind::kLayerNorm) {
    backend.layer_norm(last, final_norm, final_norm_bias, norm_eps, last);
  } else {
    backend.rms_norm(last, final_norm, norm_eps, last);
  }
  TURBINE_CHECK(out.rows == batch.num_logits && out.cols == config.vocab_size, "logits buffer is [{}, {}]", out.rows,
                out.cols);
  project(lm_head, last, out);
  if (softcap > 0.0f) backend.softcap(out, softcap);
}

}  // namespace turbine
