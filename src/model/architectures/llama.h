// The Llama decoder, which Mistral, Qwen2 and Qwen3 share with small variations:
// token embeddings, then pre-norm blocks of (RMSNorm -> grouped-query self-attention with RoPE)
// and (RMSNorm -> SwiGLU MLP) on a residual stream, a final RMSNorm and the LM head (tied to the
// embeddings or separate). A variant says which optional tensors its checkpoints carry and
// whether attention is windowed; its own file decides that from its config.
#pragma once

#include <memory>
#include <vector>

#include "model/decoder_layers.h"
#include "model/device_weights.h"
#include "model/model.h"
#include "model/rotary_embedding.h"
#include "model/weight_store.h"

namespace turbine {

struct LlamaVariant {
  DecoderLayerOptions layer;
  int sliding_window = 0;
};

class LlamaModel final : public Model {
 public:
  LlamaModel(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend, const LlamaVariant& variant);

  const ModelConfig& config() const override { return config_; }
  void reserve(const ForwardLimits& limits) override;
  void forward(const ForwardBatch& batch, KvCacheView& kv_cache, Tensor& logits) override;
  size_t device_weight_bytes() const override { return device_weights_.bytes(); }
  // Every op is a backend op once RoPE rows come from the device table.
  bool graph_capturable() const override { return rope_table_.data != nullptr; }

 private:
  // What to copy to a backend with its own memory, and in which dtype (device_weights.h).
  std::vector<WeightUpload> weight_uploads();

  ModelConfig config_;
  std::unique_ptr<WeightStore> weights_;  // owns the mapped checkpoint the tensors below view
  Backend& backend_;
  LlamaVariant variant_;
  RotaryEmbedding rope_;
  Tensor embed_tokens_;
  std::vector<DecoderLayer> layers_;
  Tensor final_norm_;
  LinearWeights lm_head_;
  Workspace workspace_;
  DeviceWeights device_weights_;  // the weights' copies when the backend has its own memory
  // cos/sin rows by position, in backend memory, when the backend has its own memory and the
  // rotary frequencies do not depend on the sequence's length at the lengths served.
  DeviceBuffer rope_table_buffer_;
  Tensor rope_table_;
};

}  // namespace turbine
