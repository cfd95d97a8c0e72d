// DecoderSpec: everything an architecture file says about its decoder, made once at load from the
// config. The shared decoder (decoder_model.h) loads the weights and runs the forward pass from it
// alone, so a new architecture whose layers are made of the shared blocks (decoder_layers.h) is a
// file that fills one of these (model/architectures/, e.g. qwen3.cc), not a branch in generic code.
#pragma once

#include <vector>

#include "model/layer_spec.h"
#include "model/model_config.h"

namespace turbine {

// Which optional tensors a checkpoint's layers carry.
struct DecoderLayerOptions {
  bool qkv_bias = false;
  bool o_bias = false;
  bool mlp_bias = false;
  bool qk_norm = false;  // per-head RMSNorm of q and k before RoPE (Qwen3)
};

struct DecoderSpec {
  DecoderLayerOptions tensors;
  // The distinct RoPEs the layers use (one per base and scaling); LayerSpec::rope_table indexes
  // this list. The model keeps one table of cos/sin rows per entry.
  std::vector<RopeConfig> rope_tables;
  std::vector<LayerSpec> layers;  // one per layer, in order
};

// softmax_scale = head_dim^-0.5, the scale of every model that does not set its own.
float default_softmax_scale(const ModelConfig& config);

// The plain decoder: every layer pre-norm, full attention (or `sliding_window`), the default
// softmax scale, RoPE table 0 = config.rope. Architectures start from it and change what differs.
DecoderSpec uniform_decoder_spec(const ModelConfig& config, int sliding_window = 0);

// Aborts unless the spec fits the config: one LayerSpec per layer, rope_table indices in range,
// windows >= 0, caps >= 0 and scales > 0. An architecture file validates the config fields it
// reads (turbine::Error naming the field) before making its spec; a bad spec is its bug.
void check_decoder_spec(const DecoderSpec& spec, const ModelConfig& config);

}  // namespace turbine
