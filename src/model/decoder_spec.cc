#include "model/decoder_spec.h"

#include <cmath>

#include "common/error.h"

namespace turbine {

MlpActivation mlp_activation(const ModelConfig& config, const char* key) {
  const std::string name = config.raw.contains(key) && config.raw[key].is_string() ? config.raw[key].get<std::string>()
                                                                                   : config.hidden_act;
  if (name == "silu") return MlpActivation::kSilu;
  if (name == "gelu_pytorch_tanh") return MlpActivation::kGeluTanh;
  fail("{}: {} \"{}\" is not supported (supported: silu, gelu_pytorch_tanh)", (config.dir / "config.json").string(),
       key, name);
}

float default_softmax_scale(const ModelConfig& config) { return 1.0f / std::sqrt(float(config.head_dim)); }

DecoderSpec uniform_decoder_spec(const ModelConfig& config, int sliding_window) {
  DecoderSpec spec;
  spec.rope_tables = {config.rope};
  spec.activation = mlp_activation(config, "hidden_act");
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
  TURBINE_CHECK(spec.embedding_scale > 0.0f && spec.final_logit_softcap >= 0.0f, "embedding scale {}, logit cap {}",
                spec.embedding_scale, spec.final_logit_softcap);
}

}  // namespace turbine
