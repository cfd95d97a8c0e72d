// DecoderModel: the shared decoder-only transformer that every architecture file instantiates with
// its DecoderSpec (decoder_spec.h): token embeddings, then per layer the blocks of decoder_layers.h
// (norms placed, attention windowed, capped and rotated as that layer's LayerSpec says, the gated
// MLP) on a residual stream, a final RMSNorm and the LM head (tied to the embeddings or separate).
//
// It knows no architecture by name: what differs between Llama, Mistral, Qwen2 and Qwen3 is in
// their specs (model/architectures/). It owns the weights (views into the mapped checkpoint, or
// device copies), the RoPE tables and the activation workspace.
#pragma once

#include <memory>
#include <vector>

#include "model/decoder_layers.h"
#include "model/decoder_spec.h"
#include "model/device_weights.h"
#include "model/model.h"
#include "model/rope_tables.h"
#include "model/weight_store.h"

namespace turbine {

class DecoderModel final : public Model {
 public:
  // `load_layer`: the architecture's own layer loader (decoder_layers.h); empty: the Llama naming.
  DecoderModel(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend, DecoderSpec spec,
               LayerLoader load_layer = {});

  const ModelConfig& config() const override { return config_; }
  const DecoderSpec& spec() const { return spec_; }
  void reserve(const ForwardLimits& limits) override;
  void forward(const ForwardBatch& batch, KvCacheView& kv_cache, Tensor& logits) override;
  size_t device_weight_bytes() const override { return device_weights_.bytes(); }
  // Every op is a backend op once every RoPE table's rows come from the device.
  bool graph_capturable() const override { return rope_.on_device(); }
  int kv_sliding_window() const override;

 private:
  // What to copy to a backend with its own memory, and in which dtype (device_weights.h).
  std::vector<WeightUpload> weight_uploads();
  // Gemma's norms (DecoderSpec::norm_weight_plus_one): every norm weight becomes an F32 copy of
  // 1 + weight, computed in f32 as transformers does, kept in arena_.
  void add_one_to_norms();

  ModelConfig config_;
  std::unique_ptr<WeightStore> weights_;  // owns the mapped checkpoint the tensors below view
  Backend& backend_;
  DecoderSpec spec_;
  RopeTables rope_;
  Tensor embed_tokens_;
  std::vector<DecoderLayer> layers_;
  Tensor final_norm_, final_norm_bias_;
  LinearWeights lm_head_;
  Workspace workspace_;
  DeviceWeights device_weights_;  // the weights' copies when the backend has its own memory
  TensorArena arena_;  // tensors derived at load (1 + w norms, a loader's re-laid weights)
};

}  // namespace turbine
