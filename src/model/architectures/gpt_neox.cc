// GPT-NeoX (Pythia, GPT-NeoX-20B, ...): LayerNorm with biases, a plain MLP (dense_h_to_4h, exact
// GELU, dense_4h_to_h, with biases), attention with biases whose q/k/v are one fused
// query_key_value projection laid out per head, rotary embeddings on the first rotary_pct of each
// head (rotate-half convention), and by default the parallel residual
// x + attention(ln1(x)) + mlp(ln2(x)) (use_parallel_residual), else the sequential one.
//
// Config fields read: the shared ones, rotary_pct (or partial_rotary_factor), rotary_emb_base (or
// rope_theta / rope_parameters), layer_norm_eps, use_parallel_residual, hidden_act (gelu),
// attention_bias (true), tie_word_embeddings.
#include <fmt/format.h>

#include "common/error.h"
#include "model/architectures/architectures.h"
#include "model/architectures/fused_qkv.h"
#include "model/decoder_model.h"

namespace turbine {

std::unique_ptr<Model> make_gpt_neox_model(ModelConfig config, std::unique_ptr<WeightStore> weights,
                                           Backend& backend) {
  const std::string source = (config.dir / "config.json").string();
  const nlohmann::json& raw = config.raw;
  // The older names of the rotary settings, unless rope_parameters already gave them.
  const bool v5_rope = raw.contains("rope_parameters") && raw["rope_parameters"].is_object();
  if (raw.contains("rotary_pct") && !(v5_rope && raw["rope_parameters"].contains("partial_rotary_factor")))
    config.rope.partial_rotary_factor = raw["rotary_pct"].get<double>();
  if (raw.contains("rotary_emb_base") && !(v5_rope && raw["rope_parameters"].contains("rope_theta")))
    config.rope.theta = raw["rotary_emb_base"].get<double>();
  if (!(config.rope.partial_rotary_factor > 0.0 && config.rope.partial_rotary_factor <= 1.0))
    fail("{}: rotary_pct must be in (0, 1], got {}", source, config.rope.partial_rotary_factor);
  if (config.num_kv_heads != config.num_heads)
    fail("{}: GPT-NeoX has as many key/value heads as heads (num_key_value_heads {} != {})", source,
         config.num_kv_heads, config.num_heads);
  const bool bias = raw.value("attention_bias", true);

  DecoderSpec spec = uniform_decoder_spec(config, 0, MlpKind::kPlain);
  spec.norm = NormKind::kLayerNorm;
  spec.norm_eps = raw.value("layer_norm_eps", 1e-5);
  spec.parallel_residual = raw.value("use_parallel_residual", true);
  spec.weight_prefix = "gpt_neox.";
  spec.embed_name = "gpt_neox.embed_in.weight";
  spec.final_norm_name = "gpt_neox.final_layer_norm";
  spec.lm_head_name = "embed_out";
  spec.tensors.qkv_bias = spec.tensors.o_bias = spec.tensors.mlp_bias = bias;

  const FusedQkvRows rows = neox_qkv_rows(config.num_heads, config.head_dim);
  LayerLoader load = [rows, bias](WeightStore& w, const LinearLoader& linears, const ModelConfig& c, int index,
                                  TensorArena& arena) {
    const std::string p = fmt::format("gpt_neox.layers.{}.", index);
    const int64_t h = c.hidden_size;
    DecoderLayer layer;
    layer.attention_norm = w.get(p + "input_layernorm.weight", {h});
    layer.attention_norm_bias = w.get(p + "input_layernorm.bias", {h});
    layer.mlp_norm = w.get(p + "post_attention_layernorm.weight", {h});
    layer.mlp_norm_bias = w.get(p + "post_attention_layernorm.bias", {h});
    load_fused_qkv(w, linears, p + "attention.query_key_value", h, rows, bias, arena, layer.attention);
    layer.attention.o = linears.load(w, p + "attention.dense", h, h, bias);
    layer.mlp.up = linears.load(w, p + "mlp.dense_h_to_4h", c.intermediate_size, h, bias);
    layer.mlp.down = linears.load(w, p + "mlp.dense_4h_to_h", h, c.intermediate_size, bias);
    for (const char* buffer : {"attention.bias", "attention.masked_bias", "attention.rotary_emb.inv_freq"})
      w.ignore_if_present(p + buffer);  // buffers older checkpoints saved
    return layer;
  };
  return std::make_unique<DecoderModel>(std::move(config), std::move(weights), backend, std::move(spec), load);
}

}  // namespace turbine
