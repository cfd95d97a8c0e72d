#include "model/architectures/gemma_common.h"

#include <cmath>

#include "common/error.h"

namespace turbine {
namespace {

// A field that is a positive number, or null / absent (then 0: off).
float optional_positive(const ModelConfig& config, const char* key, const std::string& source) {
  if (!config.raw.contains(key) || config.raw[key].is_null()) return 0.0f;
  const nlohmann::json& v = config.raw[key];
  if (!v.is_number() || v.get<double>() <= 0.0) fail("{}: {} must be a positive number or null, got {}", source, key, v.dump());
  return float(v.get<double>());
}

}  // namespace

DecoderSpec gemma_decoder_spec(const ModelConfig& c, int default_sliding_pattern) {
  const std::string source = (c.dir / "config.json").string();
  const nlohmann::json& raw = c.raw;
  for (const char* key : {"use_bidirectional_attention", "use_bidirectional_attention_mask"})
    if (raw.value(key, false)) fail("{}: {}=true (a bidirectional encoder) is not supported", source, key);
  DecoderSpec spec = uniform_decoder_spec(c);
  spec.activation = gated_mlp_activation(c, raw.contains("hidden_activation") ? "hidden_activation" : "hidden_act");
  spec.tensors.qkv_bias = c.attention_bias;
  spec.tensors.o_bias = c.attention_bias;
  spec.embedding_scale = std::sqrt(float(c.hidden_size));
  spec.final_logit_softcap = optional_positive(c, "final_logit_softcapping", source);
  spec.norm_weight_plus_one = true;

  const double scalar = raw.contains("query_pre_attn_scalar") && !raw["query_pre_attn_scalar"].is_null()
                            ? raw["query_pre_attn_scalar"].get<double>()
                            : double(c.head_dim);
  if (!(scalar > 0.0)) fail("{}: query_pre_attn_scalar must be positive, got {}", source, scalar);
  const float attn_cap = optional_positive(c, "attn_logit_softcapping", source);

  std::vector<std::string> types;
  if (raw.contains("layer_types") && !raw["layer_types"].is_null()) {
    const nlohmann::json& t = raw["layer_types"];
    if (!t.is_array() || int(t.size()) != c.num_layers)
      fail("{}: layer_types must list {} layer types, got {}", source, c.num_layers, t.dump());
    for (const nlohmann::json& v : t) {
      if (!v.is_string()) fail("{}: layer_types must hold strings, got {}", source, v.dump());
      types.push_back(v.get<std::string>());
    }
  } else {
    const int pattern = int(raw.value("sliding_window_pattern", default_sliding_pattern));
    if (pattern <= 0) fail("{}: sliding_window_pattern must be positive, got {}", source, pattern);
    for (int i = 0; i < c.num_layers; ++i)
      types.emplace_back((i + 1) % pattern != 0 ? "sliding_attention" : "full_attention");
  }
  for (int i = 0; i < c.num_layers; ++i) {
    LayerSpec& layer = spec.layers[size_t(i)];
    layer.norms = NormPlacement::kSandwich;
    layer.softmax_scale = float(1.0 / std::sqrt(scalar));
    layer.attn_logit_softcap = attn_cap;
    const std::string& type = types[size_t(i)];
    if (type == "sliding_attention") {
      if (c.sliding_window <= 0) fail("{}: layer {} is a sliding_attention layer but sliding_window is {}", source, i, c.sliding_window);
      layer.sliding_window = c.sliding_window;
    } else if (type != "full_attention") {
      fail("{}: layer_types[{}] is \"{}\" (supported: full_attention, sliding_attention)", source, i, type);
    }
  }
  return spec;
}

bool is_sliding(const DecoderSpec& spec, int layer) { return spec.layers[size_t(layer)].sliding_window > 0; }

}  // namespace turbine
