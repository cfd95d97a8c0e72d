#include "model/architectures/llama.h"

#include <fmt/format.h>

#include "common/error.h"
#include "model/architectures/architectures.h"
#include "model/linear_loader.h"

namespace turbine {

LlamaModel::LlamaModel(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend,
                       const LlamaVariant& variant)
    : config_(std::move(config)),
      weights_(std::move(weights)),
      backend_(backend),
      variant_(variant),
      rope_(config_.rope, config_.head_dim, config_.max_position_embeddings) {
  WeightStore& w = *weights_;
  const LinearLoader linears = LinearLoader::for_model(config_, backend_);
  embed_tokens_ = w.get("model.embed_tokens.weight", {config_.vocab_size, config_.hidden_size});
  layers_.reserve(config_.num_layers);
  for (int i = 0; i < config_.num_layers; ++i)
    layers_.push_back(load_decoder_layer(w, linears, config_, i, variant_.layer));
  final_norm_ = w.get("model.norm.weight", {config_.hidden_size});
  if (config_.tie_word_embeddings) {
    lm_head_ = linears.dense(embed_tokens_, "model.embed_tokens.weight (the tied lm_head)");
    w.ignore_if_present("lm_head.weight");  // some tied checkpoints still store a copy
  } else {
    lm_head_ = linears.load(w, "lm_head", config_.vocab_size, config_.hidden_size, /*bias=*/false);
  }
  for (int i = 0; i < config_.num_layers; ++i)  // a buffer that old checkpoints saved
    w.ignore_if_present(fmt::format("model.layers.{}.self_attn.rotary_emb.inv_freq", i));
  w.check_all_used();
  if (!backend_.uses_host_memory()) {
    const std::vector<WeightUpload> uploads = weight_uploads();  // first: it sets the device formats
    device_weights_ = DeviceWeights::upload(backend_, uploads, projection_groups(layers_));
    weights_.reset();  // every tensor now views the copies: the mapping can go
    set_fused_views(layers_);
    workspace_.fused = true;
  }
}

std::vector<WeightUpload> LlamaModel::weight_uploads() {
  // Norms, embeddings and biases run in the activation dtype (as vLLM's dtype "auto" runs a BF16
  // model); linear weights in the format the backend's table prepares (add_linear_uploads).
  const DType dt = backend_.activation_dtype();
  const LinearFormatSupport& formats = backend_.linear_formats();
  std::vector<WeightUpload> uploads = {{&embed_tokens_, dt}, {&final_norm_, dt}};
  add_linear_uploads(formats, lm_head_, dt, uploads);
  for (DecoderLayer& l : layers_) {
    for (Tensor* t : {&l.input_norm, &l.post_attention_norm, &l.attention.q_norm, &l.attention.k_norm})
      uploads.push_back({t, dt});
    for (LinearWeights* p : projections(l)) add_linear_uploads(formats, *p, dt, uploads);
  }
  return uploads;
}

void LlamaModel::reserve(const ForwardLimits& limits) {
  workspace_.reserve(backend_, config_, limits.max_tokens, limits.max_logits);
  backend_.reserve_scratch(limits.max_tokens,
                           DecoderStep::attention_shape(config_, limits.block_size, variant_.sliding_window));
  if (backend_.uses_host_memory() || limits.max_model_len <= rope_table_.rows) return;
  if (!rope_.exact_for_lengths_up_to(limits.max_model_len)) return;
  const int64_t positions = limits.max_model_len;
  std::vector<int32_t> pos(static_cast<size_t>(positions)), lens(static_cast<size_t>(positions), 1);
  for (int64_t i = 0; i < positions; ++i) pos[size_t(i)] = int32_t(i);
  std::vector<float> table(size_t(positions) * size_t(config_.head_dim));
  rope_.fill(pos.data(), lens.data(), int(positions), table.data());
  rope_table_buffer_ = backend_.allocate(table.size() * sizeof(float));
  backend_.copy_to_device(rope_table_buffer_.data(), table.data(), table.size() * sizeof(float));
  rope_table_ = rope_table_buffer_.as_tensor(DType::kF32, positions, config_.head_dim);
}

void LlamaModel::forward(const ForwardBatch& batch, KvCacheView& kv_cache, Tensor& logits) {
  TURBINE_CHECK(int(kv_cache.layers.size()) == config_.num_layers, "KV cache has {} layers, model {}",
                kv_cache.layers.size(), config_.num_layers);
  DecoderStep step(backend_, config_, rope_, rope_table_.data ? &rope_table_ : nullptr, workspace_, batch,
                   kv_cache.block_size, variant_.sliding_window);
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
