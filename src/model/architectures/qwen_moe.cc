// Qwen2-MoE and Qwen3-MoE: the Qwen2 / Qwen3 decoders (q/k/v biases; q/k norms) whose MLPs are
// mixtures of num_experts SwiGLU experts (moe_intermediate_size each), num_experts_per_tok per
// token, on the layers decoder_sparse_step and mlp_only_layers pick (the others dense). Qwen2-MoE
// adds a shared expert (shared_expert_intermediate_size) scaled by the sigmoid of its own gate and
// keeps the chosen experts' softmax weights as they are unless norm_topk_prob; Qwen3-MoE
// renormalises unless norm_topk_prob is false.
//
// Config fields read: the shared ones, num_experts, num_experts_per_tok, moe_intermediate_size,
// shared_expert_intermediate_size (Qwen2-MoE), norm_topk_prob, decoder_sparse_step,
// mlp_only_layers, use_sliding_window (must be false), attention_bias (Qwen3-MoE), hidden_act.
#include "common/error.h"
#include "model/architectures/architectures.h"
#include "model/architectures/moe_common.h"
#include "model/decoder_model.h"
#include "model/weight_store.h"

namespace turbine {
namespace {

void refuse_sliding_window(const ModelConfig& config, const char* family) {
  if (config.raw.value("use_sliding_window", false))
    fail("{}: {} with use_sliding_window=true is not supported", (config.dir / "config.json").string(), family);
}

}  // namespace

std::unique_ptr<Model> make_qwen2_moe_model(ModelConfig config, std::unique_ptr<WeightStore> weights,
                                            Backend& backend) {
  refuse_sliding_window(config, "Qwen2-MoE");
  DecoderSpec spec = uniform_decoder_spec(config);
  spec.tensors.qkv_bias = true;  // Qwen2's attention always has q/k/v biases
  spec.moe = read_moe_spec(config, "num_experts", "moe_intermediate_size", /*renormalize_default=*/false);
  spec.moe.shared_intermediate = config.raw.value("shared_expert_intermediate_size", int64_t(0));
  if (spec.moe.shared_intermediate <= 0)
    fail("{}: shared_expert_intermediate_size must be positive", (config.dir / "config.json").string());
  mark_qwen_moe_layers(config, spec);
  return std::make_unique<DecoderModel>(std::move(config), std::move(weights), backend, std::move(spec));
}

std::unique_ptr<Model> make_qwen3_moe_model(ModelConfig config, std::unique_ptr<WeightStore> weights,
                                            Backend& backend) {
  refuse_sliding_window(config, "Qwen3-MoE");
  DecoderSpec spec = uniform_decoder_spec(config);
  spec.tensors.qk_norm = true;
  spec.tensors.qkv_bias = config.attention_bias;
  spec.tensors.o_bias = config.attention_bias;
  spec.moe = read_moe_spec(config, "num_experts", "moe_intermediate_size", /*renormalize_default=*/true);
  mark_qwen_moe_layers(config, spec);
  return std::make_unique<DecoderModel>(std::move(config), std::move(weights), backend, std::move(spec));
}

}  // namespace turbine
