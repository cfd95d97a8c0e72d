// The Llama decoder, which Mistral, Qwen2 and Qwen3 share with small variations:
// token embeddings, then pre-norm blocks of (RMSNorm -> grouped-query self-attention with RoPE)
// and (RMSNorm -> SwiGLU MLP) on a residual stream, a final RMSNorm and the LM head (tied to the
// embeddings or separate). A variant says which optional tensors its checkpoints carry and
// whether attention is windowed; its own file decides that from its config.
#pragma once

#include <memory>
#include <vector>

#include "model/decoder_layers.h"
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
  void forward(const ForwardBatch& batch, KvCacheView& kv_cache, Tensor& logits) override;

 private:
  ModelConfig config_;
  std::unique_ptr<WeightStore> weights_;  // owns the mapped checkpoint the tensors below view
  Backend& backend_;
  LlamaVariant variant_;
  RotaryEmbedding rope_;
  Tensor embed_tokens_;
  std::vector<DecoderLayer> layers_;
  Tensor final_norm_;
  Tensor lm_head_;
  Workspace workspace_;
};

}  // namespace turbine
