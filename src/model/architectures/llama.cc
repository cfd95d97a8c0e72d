#include "model/architectures/llama.h"

#include <fmt/format.h>

#include "common/error.h"
#include "model/architectures/architectures.h"

namespace turbine {

LlamaModel::LlamaModel(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend,
                       const LlamaVariant& variant)
    : config_(std::move(config)),
      weights_(std::move(weights)),
      backend_(backend),
      variant_(variant),
      rope_(config_.rope, config_.head_dim, config_.max_position_embeddings) {
  WeightStore& w = *weights_;
  embed_tokens_ = w.get("model.embed_tokens.weight", {config_.vocab_size, config_.hidden_size});
  layers_.reserve(config_.num_layers);
  for (int i = 0; i < config_.num_layers; ++i) layers_.push_back(load_decoder_layer(w, config_, i, variant_.layer));
  final_norm_ = w.get("model.norm.weight", {config_.hidden_size});
  if (config_.tie_word_embeddings) {
    lm_head_ = embed_tokens_;
    w.ignore_if_present("lm_head.weight");  // some tied checkpoints still store a copy
  } else {
    lm_head_ = w.get("lm_head.weight", {config_.vocab_size, config_.hidden_size});
  }
  for (int i = 0; i < config_.num_layers; ++i)  // a buffer that old checkpoints saved
    w.ignore_if_present(fmt::format("model.layers.{}.self_attn.rotary_emb.inv_freq", i));
  w.check_all_used();
}

void LlamaModel::forward(const ForwardBatch& batch, KvCacheView& kv_cache, Tensor& logits) {
  TURBINE_CHECK(int(kv_cache.layers.size()) == config_.num_layers, "KV cache has {} layers, model {}",
                kv_cache.layers.size(), config_.num_layers);
  DecoderStep step(backend_, config_, rope_, workspace_, batch, kv_cache.block_size, variant_.sliding_window);
  step.embed(embed_tokens_);
  for (int i = 0; i < config_.num_layers; ++i) {
    const DecoderLayer& layer = layers_[i];
    step.pre_norm(layer.input_norm, /*add_block_out=*/i > 0);
    step.self_attention(layer.attention, kv_cache.layers[i]);
    step.pre_norm(layer.post_attention_norm, /*add_block_out=*/true);
    step.gated_mlp(layer.mlp);
  }
  step.logits(final_norm_, lm_head_, logits);
}

std::unique_ptr<Model> make_llama_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend) {
  LlamaVariant variant;
  variant.layer.qkv_bias = config.attention_bias;
  variant.layer.o_bias = config.attention_bias;
  variant.layer.mlp_bias = config.mlp_bias;
  return std::make_unique<LlamaModel>(std::move(config), std::move(weights), backend, variant);
}

}  // namespace turbine
