#include "model/decoder_model.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "model/linear_loader.h"

namespace turbine {

DecoderModel::DecoderModel(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend, DecoderSpec spec,
                           LayerLoader load_layer)
    : config_(std::move(config)),
      weights_(std::move(weights)),
      backend_(backend),
      spec_(std::move(spec)),
      rope_(spec_.rope_tables, config_.head_dim, config_.max_position_embeddings) {
  check_decoder_spec(spec_, config_);
  WeightStore& w = *weights_;
  const LinearLoader linears = LinearLoader::for_model(config_, backend_);
  const std::string& prefix = spec_.weight_prefix;
  const std::string embed_name = spec_.embed_name.empty() ? prefix + "embed_tokens.weight" : spec_.embed_name;
  const std::string final_norm = spec_.final_norm_name.empty() ? prefix + "norm" : spec_.final_norm_name;
  embed_tokens_ = w.get(embed_name, {config_.vocab_size, config_.hidden_size});
  layers_.reserve(config_.num_layers);
  for (int i = 0; i < config_.num_layers; ++i) {
    if (load_layer) {
      layers_.push_back(load_layer(w, linears, config_, i, arena_));
    } else {
      layers_.push_back(load_decoder_layer(w, linears, config_, i, spec_.tensors, spec_.layers[size_t(i)], prefix));
    }
    if (spec_.layers[size_t(i)].moe) load_moe_block(w, linears, config_, i, spec_.moe, prefix, layers_.back());
  }
  final_norm_ = w.get(final_norm + ".weight", {config_.hidden_size});
  if (spec_.norm == NormKind::kLayerNorm) final_norm_bias_ = w.get(final_norm + ".bias", {config_.hidden_size});
  if (config_.tie_word_embeddings) {
    lm_head_ = linears.dense(embed_tokens_, embed_name + " (the tied lm_head)");
    w.ignore_if_present(spec_.lm_head_name + ".weight");  // some tied checkpoints still store a copy
  } else {
    lm_head_ = linears.load(w, spec_.lm_head_name, config_.vocab_size, config_.hidden_size, /*bias=*/false);
  }
  for (int i = 0; i < config_.num_layers; ++i)  // a buffer that old checkpoints saved
    w.ignore_if_present(fmt::format("{}layers.{}.self_attn.rotary_emb.inv_freq", prefix, i));
  w.check_all_used();
  if (spec_.norm_weight_plus_one) add_one_to_norms();
  workspace_.rope_widths.clear();
  for (int i = 0; i < rope_.size(); ++i) workspace_.rope_widths.push_back(rope_.width(i));
  workspace_.parallel = spec_.parallel_residual;
  if (std::ranges::any_of(spec_.layers, [](const LayerSpec& l) { return l.moe; })) {
    workspace_.moe_experts = spec_.moe.num_experts;
    workspace_.moe_top_k = spec_.moe.top_k;
    workspace_.mlp_width = std::max(spec_.moe.intermediate, spec_.moe.shared_intermediate);
  }
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
  for (Tensor* t : all) {
    const Tensor copy = arena_.allocate(DType::kF32, t->rows, t->cols);
    float* v = copy.as<float>();
    // WeightStore::get hands out compute dtypes only.
    for (int64_t i = 0; i < t->numel(); ++i) v[i] = 1.0f + compute_element_to_f32(t->data, t->dtype, size_t(i));
    *t = copy;
  }
}

std::vector<WeightUpload> DecoderModel::weight_uploads() {
  // Norms, embeddings and biases run in the activation dtype (as vLLM's dtype "auto" runs a BF16
  // model); linear weights in the format the backend's table prepares (add_linear_uploads).
  const DType dt = backend_.activation_dtype();
  const LinearFormatSupport& formats = backend_.linear_formats();
  std::vector<WeightUpload> uploads = {{&embed_tokens_, dt}, {&final_norm_, dt}};
  if (final_norm_bias_.data) uploads.push_back({&final_norm_bias_, dt});
  add_linear_uploads(formats, lm_head_, dt, uploads);
  for (DecoderLayer& l : layers_) {
    for (Tensor* t : norms(l)) uploads.push_back({t, dt});
    for (LinearWeights* p : projections(l)) add_linear_uploads(formats, *p, dt, uploads);
    // Experts run in the activation dtype, each projection of all of them back to back
    // (projection_groups), which the device's MoE kernels read as one stacked tensor.
    MoeExpertWeights& x = l.moe.experts;
    for (std::vector<Tensor>* part : {&x.gate, &x.up, &x.down})
      for (Tensor& t : *part) uploads.push_back({&t, dt});
  }
  return uploads;
}

void DecoderModel::reserve(const ForwardLimits& limits) {
  workspace_.reserve(backend_, config_, limits.max_tokens, limits.max_logits);
  // The split-KV scratch depends on the head count and size only, which every layer shares.
  backend_.reserve_scratch(limits.max_tokens,
                           DecoderStep::attention_shape(config_, spec_.layers.front(), limits.block_size));
  rope_.set_context_length(limits.max_model_len);
  rope_.upload(backend_, limits.max_model_len);
}

void DecoderModel::forward(const ForwardBatch& batch, KvCacheView& kv_cache, Tensor& logits) {
  TURBINE_CHECK(int(kv_cache.layers.size()) == config_.num_layers, "KV cache has {} layers, model {}",
                kv_cache.layers.size(), config_.num_layers);
  DecoderStep step(backend_, config_, rope_, workspace_, batch, kv_cache.block_size);
  step.mlp_activation = spec_.activation;
  step.moe = &spec_.moe;
  step.norm_kind = spec_.norm;
  step.norm_eps = float(spec_.norm_eps >= 0.0 ? spec_.norm_eps : config_.rms_norm_eps);
  step.parallel_residual = spec_.parallel_residual;
  step.shared_parallel_norm = spec_.shared_parallel_norm;
  step.embed(embed_tokens_, spec_.embedding_scale);
  for (int i = 0; i < config_.num_layers; ++i)
    step.decoder_layer(layers_[size_t(i)], spec_.layers[size_t(i)], kv_cache.layers[size_t(i)], /*first=*/i == 0);
  step.logits(final_norm_, final_norm_bias_, lm_head_, logits, spec_.final_logit_softcap);
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
