#include "model/decoder_model.h"

#include <fmt/format.h>

#include "common/error.h"
#include "model/linear_loader.h"

namespace turbine {

DecoderModel::DecoderModel(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend, DecoderSpec spec)
    : config_(std::move(config)),
      weights_(std::move(weights)),
      backend_(backend),
      spec_(std::move(spec)),
      rope_(spec_.rope_tables, config_.head_dim, config_.max_position_embeddings) {
  check_decoder_spec(spec_, config_);
  WeightStore& w = *weights_;
  const LinearLoader linears = LinearLoader::for_model(config_, backend_);
  const std::string& prefix = spec_.weight_prefix;
  embed_tokens_ = w.get(prefix + "embed_tokens.weight", {config_.vocab_size, config_.hidden_size});
  layers_.reserve(config_.num_layers);
  for (int i = 0; i < config_.num_layers; ++i)
    layers_.push_back(load_decoder_layer(w, linears, config_, i, spec_.tensors, spec_.layers[size_t(i)], prefix));
  final_norm_ = w.get(prefix + "norm.weight", {config_.hidden_size});
  if (config_.tie_word_embeddings) {
    lm_head_ = linears.dense(embed_tokens_, prefix + "embed_tokens.weight (the tied lm_head)");
    w.ignore_if_present(spec_.lm_head_name + ".weight");  // some tied checkpoints still store a copy
  } else {
    lm_head_ = linears.load(w, spec_.lm_head_name, config_.vocab_size, config_.hidden_size, /*bias=*/false);
  }
  for (int i = 0; i < config_.num_layers; ++i)  // a buffer that old checkpoints saved
    w.ignore_if_present(fmt::format("{}layers.{}.self_attn.rotary_emb.inv_freq", prefix, i));
  w.check_all_used();
  if (spec_.norm_weight_plus_one) add_one_to_norms();
  workspace_.rope_tables = rope_.size();
  if (!backend_.uses_host_memory()) {
    const std::vector<WeightUpload> uploads = weight_uploads();  // first: it sets the device formats
    device_weights_ = DeviceWeights::upload(backend_, uploads, projection_groups(layers_));
    weights_.reset();  // every tensor now views the copies: the mapping can go
    set_fused_views(layers_);
    workspace_.fused = true;
  }
}

void DecoderModel::add_one_to_norms() {
  std::vector<Tensor*> all = {&final_norm_};
  for (DecoderLayer& l : layers_)
    for (Tensor* t : norms(l)) all.push_back(t);
  plus_one_norms_.reserve(all.size());  // the tensors point into these: no reallocation
  for (Tensor* t : all) {
    std::vector<float>& v = plus_one_norms_.emplace_back(size_t(t->numel()));
    for (int64_t i = 0; i < t->numel(); ++i) {
      float x = 0.0f;
      switch (t->dtype) {
        case DType::kF32: x = t->as<const float>()[i]; break;
        case DType::kBF16: x = bf16_to_f32(t->as<const uint16_t>()[i]); break;
        case DType::kF16: x = f16_to_f32(t->as<const uint16_t>()[i]); break;
        default: fail("norm weight of dtype {} cannot be read", dtype_name(t->dtype));
      }
      v[size_t(i)] = 1.0f + x;
    }
    *t = Tensor{v.data(), DType::kF32, t->rows, t->cols};
  }
}

std::vector<WeightUpload> DecoderModel::weight_uploads() {
  // Norms, embeddings and biases run in the activation dtype (as vLLM's dtype "auto" runs a BF16
  // model); linear weights in the format the backend's table prepares (add_linear_uploads).
  const DType dt = backend_.activation_dtype();
  const LinearFormatSupport& formats = backend_.linear_formats();
  std::vector<WeightUpload> uploads = {{&embed_tokens_, dt}, {&final_norm_, dt}};
  add_linear_uploads(formats, lm_head_, dt, uploads);
  for (DecoderLayer& l : layers_) {
    for (Tensor* t : norms(l)) uploads.push_back({t, dt});
    for (LinearWeights* p : projections(l)) add_linear_uploads(formats, *p, dt, uploads);
  }
  return uploads;
}

void DecoderModel::reserve(const ForwardLimits& limits) {
  workspace_.reserve(backend_, config_, limits.max_tokens, limits.max_logits);
  // The split-KV scratch depends on the head count and size only, which every layer shares.
  backend_.reserve_scratch(limits.max_tokens,
                           DecoderStep::attention_shape(config_, spec_.layers.front(), limits.block_size));
  rope_.upload(backend_, limits.max_model_len);
}

void DecoderModel::forward(const ForwardBatch& batch, KvCacheView& kv_cache, Tensor& logits) {
  TURBINE_CHECK(int(kv_cache.layers.size()) == config_.num_layers, "KV cache has {} layers, model {}",
                kv_cache.layers.size(), config_.num_layers);
  DecoderStep step(backend_, config_, rope_, workspace_, batch, kv_cache.block_size);
  step.mlp_activation = spec_.activation;
  step.embed(embed_tokens_, spec_.embedding_scale);
  for (int i = 0; i < config_.num_layers; ++i)
    step.decoder_layer(layers_[size_t(i)], spec_.layers[size_t(i)], kv_cache.layers[size_t(i)], /*first=*/i == 0);
  step.logits(final_norm_, lm_head_, logits, spec_.final_logit_softcap);
}

int DecoderModel::kv_sliding_window() const {
  // Only a window shared by every layer bounds the blocks: one block table serves all layers.
  int window = -1;
  for (const LayerSpec& layer : spec_.layers) {
    if (layer.sliding_window <= 0) return 0;
    if (window >= 0 && layer.sliding_window != window) return 0;
    window = layer.sliding_window;
  }
  return window > 0 ? window : 0;
}

}  // namespace turbine
