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
  const int32_t* positions = nullptr;  // [num_tokens]
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

// The largest batch the engine will run, so the model can size everything once, before the
// memory planner divides what is left among KV blocks.
struct ForwardLimits {
  int max_tokens = 0;     // query rows of one step
  int max_logits = 0;     // rows that want logits in one step (grows on demand beyond this)
  int max_model_len = 0;  // longest sequence
  int block_size = 0;     // KV block size
};

class Model {
 public:
  virtual ~Model() = default;
  virtual const ModelConfig& config() const = 0;
  // Allocates activations and backend scratch for batches up to `limits`; call before forward
  // (forward still grows buffers for a larger batch, but then memory was not planned for it).
  virtual void reserve(const ForwardLimits& limits) = 0;
  // Runs the batch: writes each token's K/V into its slot and F32 logits ([num_logits,
  // vocab_size]) for the requested rows.
  virtual void forward(const ForwardBatch& batch, KvCacheView& kv_cache, Tensor& logits) = 0;
  // Bytes of weights in the backend's own memory (0 when read in place from the checkpoint).
  virtual size_t device_weight_bytes() const = 0;
  // Whether forward() issues only backend ops (no host computation or copies), so that a
  // backend graph can record it; meaningful after reserve().
  virtual bool graph_capturable() const = 0;
  // The sliding window every attention layer is bounded by (each query sees at most this many
  // positions back), or 0 when some layer attends to the whole context: with a window the KV
  // cache releases the blocks no query can read again (KvCacheConfig::sliding_window).
  virtual int kv_sliding_window() const { return 0; }
};

// Loads DIR (config.json, safetensors) with the architecture its config names; an unsupported
// architecture is an error listing the supported ones.
std::unique_ptr<Model> load_model(const std::filesystem::path& dir, Backend& backend);

// The architecture names load_model accepts.
std::vector<std::string> supported_architectures();

}  // namespace turbine
