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

// The MLP's activation: down(act(gate(x)) * up(x)) in a gated MLP, down(act(up(x))) in a plain one.
enum class MlpActivation {
  kSilu,      // SwiGLU (Llama, Mistral, Qwen)
  kGeluTanh,  // GeGLU with GELU's tanh approximation (Gemma: gelu_pytorch_tanh)
  kGelu,      // exact GELU (GPT-NeoX, Falcon: "gelu"); plain MLPs only
};

// The norms' kind: RMSNorm (x * w) or LayerNorm (centred, x * w + b).
enum class NormKind { kRms, kLayerNorm };

// The MLP's shape: gated (gate, up, down: SwiGLU / GeGLU) or plain (up, act, down: GPT-NeoX's
// dense_h_to_4h and dense_4h_to_h).
enum class MlpKind { kGated, kPlain };

// A mixture-of-experts MLP (the layers with LayerSpec::moe): a router (a linear layer to
// num_experts logits), softmax, the top_k experts' gated MLPs summed by their weights (divided by
// the weights' sum when `renormalize`), plus an optional shared expert scaled by the sigmoid of its
// own gate (Qwen2-MoE). Checkpoint names, under "{prefix}layers.N.{block}.": the router
// "{router}.weight"; the experts either one by one, "experts.E.{gate,up,down}_name.weight", or
// as transformers 5 keeps them, "experts.gate_up_proj" [E, 2 * intermediate, hidden] and
// "experts.down_proj" [E, hidden, intermediate]; "shared_expert.{gate,up,down}_proj" and
// "shared_expert_gate.weight".
struct MoeSpec {
  int num_experts = 0;
  int top_k = 0;
  bool renormalize = true;
  int64_t intermediate = 0;         // each expert's
  int64_t shared_intermediate = 0;  // the shared expert's; 0: none
  std::string block = "mlp";        // e.g. Mixtral's "block_sparse_moe"
  std::string router = "gate";
  std::string gate_name = "gate_proj", up_name = "up_proj", down_name = "down_proj";  // Mixtral: w1, w3, w2
};

struct DecoderSpec {
  DecoderLayerOptions tensors;
  MoeSpec moe;  // used by the layers with LayerSpec::moe
  MlpActivation activation = MlpActivation::kSilu;
  NormKind norm = NormKind::kRms;
  MlpKind mlp = MlpKind::kGated;
  // Parallel residual (GPT-NeoX, Falcon): x += attention(norm_a(x)) + mlp(norm_m(x)) in one step
  // instead of two; with `shared_parallel_norm`, norm_m is norm_a (Falcon 7B's one input_layernorm).
  bool parallel_residual = false;
  bool shared_parallel_norm = false;
  // The norm epsilon (rms_norm_eps, or the family's layer_norm_eps); < 0: config.rms_norm_eps.
  double norm_eps = -1.0;
  // Where the checkpoint keeps the decoder: "{prefix}embed_tokens.weight", "{prefix}layers.N.*",
  // "{prefix}norm.weight", and the LM head's name (a multimodal checkpoint nests its text model).
  std::string weight_prefix = "model.";
  std::string lm_head_name = "lm_head";
  // The embedding and final norm's names when they do not follow weight_prefix ("" : they do):
  // e.g. GPT-NeoX's gpt_neox.embed_in.weight and gpt_neox.final_layer_norm.
  std::string embed_name, final_norm_name;
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
// The same for a gated MLP, which has no exact-GELU form: "gelu" fails too.
MlpActivation gated_mlp_activation(const ModelConfig& config, const char* key);

// softmax_scale = head_dim^-0.5, the scale of every model that does not set its own.
float default_softmax_scale(const ModelConfig& config);

// The plain decoder: every layer pre-norm, full attention (or `sliding_window`), the default
// softmax scale, RoPE table 0 = config.rope, an MLP of kind `mlp` with the activation hidden_act
// names (checked: gated takes silu or gelu_pytorch_tanh, plain takes gelu). Architectures start
// from it and change what differs.
DecoderSpec uniform_decoder_spec(const ModelConfig& config, int sliding_window = 0, MlpKind mlp = MlpKind::kGated);

// Aborts unless the spec fits the config: one LayerSpec per layer, rope_table indices in range,
// windows >= 0, caps >= 0 and scales > 0. An architecture file validates the config fields it
// reads (turbine::Error naming the field) before making its spec; a bad spec is its bug.
void check_decoder_spec(const DecoderSpec& spec, const ModelConfig& config);

}  // namespace turbine
