// Gemma 3 (text): the Gemma decoder (gemma_common.h) with per-head q/k RMSNorms (1 + w), five
// sliding-window layers to each full one (layer_types, else sliding_window_pattern, 6), and two
// RoPEs: local layers rotate with rope_local_base_freq (default RoPE), global layers with
// rope_theta and rope_scaling (or transformers 5's rope_parameters keyed by layer type).
// Gemma3ForConditionalGeneration is served as its text model: its config's text_config
// (config_normalization.h) and its language model's weights, under either naming transformers has
// saved them with; the vision tower and projector are not loaded.
//
// Config fields read: those of gemma2.cc, plus rope_local_base_freq, sliding_window_pattern,
// rope_by_layer_type (model_config.h).
#include "common/error.h"
#include "model/architectures/architectures.h"
#include "model/architectures/gemma_common.h"
#include "model/decoder_model.h"
#include "model/weight_store.h"

namespace turbine {
namespace {

DecoderSpec gemma3_spec(const ModelConfig& config) {
  DecoderSpec spec = gemma_decoder_spec(config, /*default_sliding_pattern=*/6);
  spec.tensors.qk_norm = true;
  // Table 0 rotates the global layers, table 1 the local ones.
  RopeConfig local;
  if (const auto it = config.rope_by_layer_type.find("sliding_attention"); it != config.rope_by_layer_type.end()) {
    local = it->second;
  } else {
    local.theta = config.raw.value("rope_local_base_freq", 10000.0);
    if (!(local.theta > 0.0))
      fail("{}: rope_local_base_freq must be positive, got {}", (config.dir / "config.json").string(), local.theta);
  }
  spec.rope_tables = {config.rope, local};
  for (int i = 0; i < config.num_layers; ++i) spec.layers[size_t(i)].rope_table = is_sliding(spec, i) ? 1 : 0;
  return spec;
}

}  // namespace

std::unique_ptr<Model> make_gemma3_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend) {
  config.tie_word_embeddings = config.raw.value("tie_word_embeddings", true);
  DecoderSpec spec = gemma3_spec(config);
  return std::make_unique<DecoderModel>(std::move(config), std::move(weights), backend, std::move(spec));
}

std::unique_ptr<Model> make_gemma3_conditional_model(ModelConfig config, std::unique_ptr<WeightStore> weights,
                                                     Backend& backend) {
  config.tie_word_embeddings = config.raw.value("tie_word_embeddings", true);
  DecoderSpec spec = gemma3_spec(config);
  // transformers >= 4.52 saves model.language_model.* and lm_head; earlier, language_model.model.*
  // and language_model.lm_head.
  if (weights->contains("language_model.model.embed_tokens.weight")) {
    spec.weight_prefix = "language_model.model.";
    spec.lm_head_name = "language_model.lm_head";
  } else {
    spec.weight_prefix = "model.language_model.";
  }
  weights->ignore_if([](std::string_view name) {
    for (std::string_view part : {"vision_tower.", "multi_modal_projector."})
      if (name.starts_with(part) || name.starts_with(std::string("model.") + std::string(part))) return true;
    return false;
  });
  return std::make_unique<DecoderModel>(std::move(config), std::move(weights), backend, std::move(spec));
}

}  // namespace turbine
