// Falcon (FalconForCausalLM): LayerNorm with biases, exact-GELU plain MLP (dense_h_to_4h,
// dense_4h_to_h), a fused query_key_value projection grouped by key/value head, rotary
// embeddings, and the parallel block x + attention(ln(x)) + mlp(ln(x)): with one shared
// input_layernorm (Falcon 7B: multi_query) or, in the new decoder architecture (40B, 180B),
// ln_attn and ln_mlp. The LM head is tied to the word embeddings unless the config says otherwise.
// ALiBi (alibi=true) and the sequential block (parallel_attn=false) are not implemented: they fail.
//
// Config fields read: the shared ones (config_normalization.h maps ffn_hidden_size, num_kv_heads
// and multi_query), new_decoder_architecture, num_ln_in_parallel_attn, parallel_attn, alibi,
// bias, layer_norm_epsilon, activation, rope_theta, tie_word_embeddings.
#include <fmt/format.h>

#include "common/error.h"
#include "model/architectures/architectures.h"
#include "model/architectures/fused_qkv.h"
#include "model/decoder_model.h"

namespace turbine {

std::unique_ptr<Model> make_falcon_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend) {
  const std::string source = (config.dir / "config.json").string();
  const nlohmann::json& raw = config.raw;
  if (raw.value("alibi", false)) fail("{}: Falcon with alibi=true is not supported", source);
  if (!raw.value("parallel_attn", true)) fail("{}: Falcon with parallel_attn=false is not supported", source);
  const bool new_arch = raw.value("new_decoder_architecture", false);
  const nlohmann::json ln_count = raw.value("num_ln_in_parallel_attn", nlohmann::json());
  const int num_ln = ln_count.is_null() ? (new_arch ? 2 : 1) : ln_count.get<int>();
  if (num_ln != 1 && num_ln != 2) fail("{}: num_ln_in_parallel_attn must be 1 or 2, got {}", source, num_ln);
  if (!new_arch && num_ln != 1) fail("{}: num_ln_in_parallel_attn 2 needs new_decoder_architecture", source);
  const bool bias = raw.value("bias", false);
  config.tie_word_embeddings = raw.value("tie_word_embeddings", true);
  config.hidden_act = raw.value("activation", std::string("gelu"));

  DecoderSpec spec = uniform_decoder_spec(config, 0, MlpKind::kPlain);
  spec.norm = NormKind::kLayerNorm;
  spec.norm_eps = raw.value("layer_norm_epsilon", 1e-5);
  spec.parallel_residual = true;
  spec.shared_parallel_norm = num_ln == 1;
  spec.weight_prefix = "transformer.";
  spec.embed_name = "transformer.word_embeddings.weight";
  spec.final_norm_name = "transformer.ln_f";
  spec.tensors.qkv_bias = spec.tensors.o_bias = spec.tensors.mlp_bias = bias;

  const FusedQkvRows rows = falcon_qkv_rows(config.num_heads, config.num_kv_heads, config.head_dim);
  LayerLoader load = [rows, bias, num_ln](WeightStore& w, const LinearLoader& linears, const ModelConfig& c, int index,
                                          TensorArena& arena) {
    const std::string p = fmt::format("transformer.h.{}.", index);
    const int64_t h = c.hidden_size;
    DecoderLayer layer;
    const std::string attn_norm = num_ln == 2 ? "ln_attn" : "input_layernorm";
    layer.attention_norm = w.get(p + attn_norm + ".weight", {h});
    layer.attention_norm_bias = w.get(p + attn_norm + ".bias", {h});
    if (num_ln == 2) {
      layer.mlp_norm = w.get(p + "ln_mlp.weight", {h});
      layer.mlp_norm_bias = w.get(p + "ln_mlp.bias", {h});
    }
    load_fused_qkv(w, linears, p + "self_attention.query_key_value", h, rows, bias, arena, layer.attention);
    layer.attention.o = linears.load(w, p + "self_attention.dense", h, int64_t(c.num_heads) * c.head_dim, bias);
    layer.mlp.up = linears.load(w, p + "mlp.dense_h_to_4h", c.intermediate_size, h, bias);
    layer.mlp.down = linears.load(w, p + "mlp.dense_4h_to_h", h, c.intermediate_size, bias);
    return layer;
  };
  return std::make_unique<DecoderModel>(std::move(config), std::move(weights), backend, std::move(spec), load);
}

}  // namespace turbine
