// Mixtral: the Mistral decoder whose every MLP is a mixture of num_local_experts SwiGLU experts
// (intermediate_size each), num_experts_per_tok of them per token, weighted by the softmax of the
// router's logits over the chosen ones (renormalised). Checkpoint: block_sparse_moe.gate and
// experts.E.{w1 (gate), w3 (up), w2 (down)}, or transformers 5's stacked experts.
//
// Config fields read: the shared ones, num_local_experts, num_experts_per_tok, sliding_window
// (as Mistral), hidden_act (silu); router_jitter_noise and output_router_logits are training-only.
#include "model/architectures/architectures.h"
#include "model/architectures/moe_common.h"
#include "model/decoder_model.h"
#include "model/weight_store.h"

namespace turbine {

std::unique_ptr<Model> make_mixtral_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend) {
  DecoderSpec spec = uniform_decoder_spec(config, config.sliding_window);
  spec.moe = read_moe_spec(config, "num_local_experts", "intermediate_size", /*renormalize_default=*/true);
  spec.moe.renormalize = true;  // Mixtral always renormalises (it has no norm_topk_prob)
  spec.moe.block = moe_block_name(*weights, spec.weight_prefix, {"block_sparse_moe", "mlp"}, "gate");
  spec.moe.gate_name = "w1";
  spec.moe.up_name = "w3";
  spec.moe.down_name = "w2";
  for (LayerSpec& layer : spec.layers) layer.moe = true;
  return std::make_unique<DecoderModel>(std::move(config), std::move(weights), backend, std::move(spec));
}

}  // namespace turbine
