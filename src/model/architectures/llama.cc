// Llama: token embeddings, then pre-norm blocks of (RMSNorm -> grouped-query self-attention with
// RoPE) and (RMSNorm -> SwiGLU MLP) on a residual stream, a final RMSNorm and the LM head (tied to
// the embeddings or separate): the shared decoder with every layer's spec the same (full attention,
// head_dim^-0.5, one RoPE). q/k/v/o biases follow attention_bias, the MLP's mlp_bias.
//
// Config fields read: the shared ones (model_config.h: sizes, heads, head_dim, rms_norm_eps,
// rope_theta and rope_scaling / rope_parameters, tie_word_embeddings), attention_bias, mlp_bias,
// hidden_act (silu or gelu_pytorch_tanh). pretraining_tp only splits the same matmuls in training.
#include "model/architectures/architectures.h"
#include "model/decoder_model.h"

namespace turbine {

std::unique_ptr<Model> make_llama_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend) {
  DecoderSpec spec = uniform_decoder_spec(config);
  spec.tensors.qkv_bias = config.attention_bias;
  spec.tensors.o_bias = config.attention_bias;
  spec.tensors.mlp_bias = config.mlp_bias;
  return std::make_unique<DecoderModel>(std::move(config), std::move(weights), backend, std::move(spec));
}

}  // namespace turbine
