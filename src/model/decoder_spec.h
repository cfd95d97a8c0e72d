// DecoderSpec: everything an architecture file says about its decoder, made once at load from the
// config. The shared decoder (decoder_model.h) loads the weights and runs the forward pass from it
// alone, so a new architecture whose layers are made of the shared blocks (decoder_layers.h) is a
// file that fills one of these (model/architectures/, e.g. qwen3.cc), not a branch in generic code.
#pragma once

#include <string>
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

// The MLP's gate activation: down(act(gate(x)) * up(x)).
enum class MlpActivation {
  kSilu,      // SwiGLU (Llama, Mistral, Qwen)
  kGeluTanh,  // GeGLU with GELU's tanh approximation (Gemma: gelu_pytorch_tanh)
};

struct DecoderSpec {
  DecoderLayerOptions tensors;
  MlpActivation activation = MlpActivation::kSilu;
  // Where the checkpoint keeps the decoder: "{prefix}embed_tokens.weight", "{prefix}layers.N.*",
  // "{prefix}norm.weight", and the LM head's name (a multimodal checkpoint nests its text model).
  std::string weight_prefix = "model.";
  std::string lm_head_name = "lm_head";
  // Multiplies the token embeddings (Gemma: sqrt(hidden_size)); 1: off.
  float embedding_scale = 1.0f;
  // > 0: the logits become cap * tanh(logits / cap) (Gemma 2's final_logit_softcapping); 0: off.
  float final_logit_softcap = 0.0f;
  // Gemma's RMSNorm scales by (1 + weight): the loader adds the one to every norm weight once.
  bool norm_weight_plus_one = false;
  // The distinct RoPEs the layers use (one per base and scaling); LayerSpec::rope_table indexes
  // this list. The model keeps one table of cos/sin rows per entry.
  std::vector<RopeConfig> rope_tables;
  std::vector<LayerSpec> layers;  // one per layer, in order
};

// The activation a config's `key` names ("silu", "gelu_pytorch_tanh"); anything else fails naming
// the field and the value.
MlpActivation mlp_activation(const ModelConfig& config, const char* key);

// softmax_scale = head_dim^-0.5, the scale of every model that does not set its own.
float default_softmax_scale(const ModelConfig& config);

// The plain decoder: every layer pre-norm, full attention (or `sliding_window`), the default
// softmax scale, RoPE table 0 = config.rope, the MLP activation hidden_act names. Architectures
// start from it and change what differs.
DecoderSpec uniform_decoder_spec(const ModelConfig& config, int sliding_window = 0);

// Aborts unless the spec fits the config: one LayerSpec per layer, rope_table indices in range,
// windows >= 0, caps >= 0 and scales > 0. An architecture file validates the config fields it
// reads (turbine::Error naming the field) before making its spec; a bad spec is its bug.
void check_decoder_spec(const DecoderSpec& spec, const ModelConfig& config);

}  // namespace turbine
