// Phi-3 (Phi-3, Phi-3.5, Phi-4-mini): the Llama decoder with its q/k/v projections stored as one
// qkv_proj (q rows, then k, then v) and gate/up as one gate_up_proj (gate rows, then up), read as
// row views of the fused tensors; sliding_window on every layer when set; partial rotary
// (partial_rotary_factor, Phi-4-mini); LongRoPE scaling with short and long factors (the long
// ones when the served context exceeds original_max_position_embeddings, rotary_embedding.h).
//
// Config fields read: the shared ones, sliding_window, partial_rotary_factor, rope_scaling
// (longrope / su, with original_max_position_embeddings), tie_word_embeddings, hidden_act (silu).
#include <fmt/format.h>

#include "model/architectures/architectures.h"
#include "model/decoder_model.h"
#include "model/linear_loader.h"

namespace turbine {

std::unique_ptr<Model> make_phi3_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend) {
  DecoderSpec spec = uniform_decoder_spec(config, config.sliding_window);
  LayerLoader load = [](WeightStore& w, const LinearLoader& linears, const ModelConfig& c, int index, TensorArena&) {
    const std::string p = fmt::format("model.layers.{}.", index);
    const int64_t h = c.hidden_size, q_dim = int64_t(c.num_heads) * c.head_dim;
    const int64_t kv_dim = int64_t(c.num_kv_heads) * c.head_dim, ff = c.intermediate_size;
    DecoderLayer layer;
    layer.attention_norm = w.get(p + "input_layernorm.weight", {h});
    layer.mlp_norm = w.get(p + "post_attention_layernorm.weight", {h});
    const Tensor qkv = w.get(p + "self_attn.qkv_proj.weight", {q_dim + 2 * kv_dim, h});
    layer.attention.q = linears.dense(qkv.slice_rows(0, q_dim), p + "self_attn.qkv_proj.weight (q)");
    layer.attention.k = linears.dense(qkv.slice_rows(q_dim, kv_dim), p + "self_attn.qkv_proj.weight (k)");
    layer.attention.v = linears.dense(qkv.slice_rows(q_dim + kv_dim, kv_dim), p + "self_attn.qkv_proj.weight (v)");
    layer.attention.o = linears.load(w, p + "self_attn.o_proj", h, q_dim, false);
    const Tensor gate_up = w.get(p + "mlp.gate_up_proj.weight", {2 * ff, h});
    layer.mlp.gate = linears.dense(gate_up.slice_rows(0, ff), p + "mlp.gate_up_proj.weight (gate)");
    layer.mlp.up = linears.dense(gate_up.slice_rows(ff, ff), p + "mlp.gate_up_proj.weight (up)");
    layer.mlp.down = linears.load(w, p + "mlp.down_proj", h, ff, false);
    return layer;
  };
  return std::make_unique<DecoderModel>(std::move(config), std::move(weights), backend, std::move(spec), load);
}

}  // namespace turbine
