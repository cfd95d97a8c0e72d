// Model: one architecture's forward pass over a flat batch, run through a Backend.
//
// The runner builds a ForwardBatch each step (token ids, positions, paged-attention metadata and
// which rows need logits) and owns the KV cache; the model owns its weights (views into the
// memory-mapped checkpoint, or device copies) and a workspace for activations.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "backend/backend.h"
#include "model/model_config.h"

namespace turbine {

struct ForwardBatch {
  int num_tokens = 0;
  // Backend memory.
  const int32_t* token_ids = nullptr;  // [num_tokens]
  AttentionBatch attention;            // query_start, seq_lens, block tables, slot mapping
  const int32_t* logits_rows = nullptr;  // [num_logits]: rows of the batch whose logits are wanted
  int num_logits = 0;                    // may be 0 (a prefill chunk that does not end its prompt)
  // Host memory (the same pointers on the CPU backend).
  const int32_t* positions_host = nullptr;  // [num_tokens]
  const int32_t* step_lens_host = nullptr;  // [num_tokens]: its sequence's length after this step
};

// Per layer K and V caches as the backend sees them.
struct KvCacheView {
  int block_size = 0;
  int num_blocks = 0;
  std::vector<KvCacheLayer> layers;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual const ModelConfig& config() const = 0;
  // Runs the batch: writes each token's K/V into its slot and logits ([num_logits, vocab_size],
  // activation dtype) for the requested rows.
  virtual void forward(const ForwardBatch& batch, KvCacheView& kv_cache, Tensor& logits) = 0;
};

// Loads DIR (config.json, safetensors) with the architecture its config names; an unsupported
// architecture is an error listing the supported ones.
std::unique_ptr<Model> load_model(const std::filesystem::path& dir, Backend& backend);

// The architecture names load_model accepts.
std::vector<std::string> supported_architectures();

}  // namespace turbine
