// Gemma 2: the Gemma decoder (gemma_common.h) with sliding-window layers alternating with full
// ones (layer_types, else even layers sliding), attention scores soft-capped by
// attn_logit_softcapping and the logits by final_logit_softcapping, one RoPE for every layer.
//
// Config fields read: the shared ones (model_config.h), hidden_activation (gelu_pytorch_tanh or
// silu), query_pre_attn_scalar, attn_logit_softcapping, final_logit_softcapping, sliding_window,
// layer_types, attention_bias, tie_word_embeddings (absent: true, transformers' default).
#include "model/architectures/architectures.h"
#include "model/architectures/gemma_common.h"
#include "model/decoder_model.h"

namespace turbine {

std::unique_ptr<Model> make_gemma2_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend) {
  config.tie_word_embeddings = config.raw.value("tie_word_embeddings", true);
  DecoderSpec spec = gemma_decoder_spec(config, /*default_sliding_pattern=*/2);
  return std::make_unique<DecoderModel>(std::move(config), std::move(weights), backend, std::move(spec));
}

}  // namespace turbine
