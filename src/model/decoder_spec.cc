#include "model/decoder_spec.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace turbine {

MlpActivation mlp_activation(const ModelConfig& config, const char* key) {
  const std::string name = config.raw.contains(key) && config.raw[key].is_string() ? config.raw[key].get<std::string>()
                                                                                   : config.hidden_act;
  if (name == "silu") return MlpActivation::kSilu;
  if (name == "gelu_pytorch_tanh") return MlpActivation::kGeluTanh;
  if (name == "gelu") return MlpActivation::kGelu;
  fail("{}: {} \"{}\" is not supported (supported: silu, gelu_pytorch_tanh, gelu)", (config.dir / "config.json").string(),
       key, name);
}

MlpActivation gated_mlp_activation(const ModelConfig& config, const char* key) {
  const MlpActivation act = mlp_activation(config, key);
  if (act == MlpActivation::kGelu)
    fail("{}: {} \"gelu\" is not supported for a gated MLP (supported: silu, gelu_pytorch_tanh)",
         (config.dir / "config.json").string(), key);
  return act;
}

float default_softmax_scale(const ModelConfig& config) { return 1.0f / std::sqrt(float(config.head_dim)); }

DecoderSpec uniform_decoder_spec(const ModelConfig& config, int sliding_window, MlpKind mlp) {
  DecoderSpec spec;
  spec.rope_tables = {config.rope};
  spec.mlp = mlp;
  if (mlp == MlpKind::kGated) {
    spec.activation = gated_mlp_activation(config, "hidden_act");
  } else {
    spec.activation = mlp_activation(config, "hidden_act");
    if (spec.activation != MlpActivation::kGelu)
      fail("{}: hidden_act \"{}\" is not supported for a plain MLP (supported: gelu)",
           (config.dir / "config.json").string(), config.hidden_act);
  }
  LayerSpec layer;
  layer.sliding_window = sliding_window;
  layer.softmax_scale = default_softmax_scale(config);
  spec.layers.assign(size_t(config.num_layers), layer);
  return spec;
}

void check_decoder_spec(const DecoderSpec& spec, const ModelConfig& config) {
  TURBINE_CHECK(int(spec.layers.size()) == config.num_layers, "decoder spec has {} layers, the config {}",
                spec.layers.size(), config.num_layers);
  TURBINE_CHECK(!spec.rope_tables.empty(), "decoder spec has no RoPE table");
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& l = spec.layers[i];
    TURBINE_CHECK(l.rope_table >= 0 && size_t(l.rope_table) < spec.rope_tables.size(),
                  "layer {} uses RoPE table {} of {}", i, l.rope_table, spec.rope_tables.size());
    TURBINE_CHECK(l.sliding_window >= 0 && l.attn_logit_softcap >= 0.0f && l.softmax_scale > 0.0f,
                  "layer {}: window {}, soft-cap {}, scale {}", i, l.sliding_window, l.attn_logit_softcap,
                  l.softmax_scale);
  }
  const bool any_moe = std::ranges::any_of(spec.layers, [](const LayerSpec& l) { return l.moe; });
  TURBINE_CHECK(!any_moe || (spec.moe.num_experts > 0 && spec.moe.top_k >= 1 && spec.moe.top_k <= spec.moe.num_experts &&
                             spec.moe.intermediate > 0 && spec.moe.shared_intermediate >= 0),
                "MoE spec: {} experts, top {}, intermediate {}", spec.moe.num_experts, spec.moe.top_k,
                spec.moe.intermediate);
  // Exact GELU only in plain MLPs (no gated exact-GELU kernel); plain MLPs take exact GELU only.
  TURBINE_CHECK((spec.mlp == MlpKind::kPlain) == (spec.activation == MlpActivation::kGelu),
                "MLP kind and activation do not go together");
  TURBINE_CHECK(!spec.parallel_residual || spec.norm == NormKind::kLayerNorm, "parallel residual needs LayerNorm");
  TURBINE_CHECK(spec.embedding_scale > 0.0f && spec.final_logit_softcap >= 0.0f, "embedding scale {}, logit cap {}",
                spec.embedding_scale, spec.final_logit_softcap);
}

}  // namespace turbine
