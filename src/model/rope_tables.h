// RopeTables: a model's RoPE tables, one RotaryEmbedding per distinct RoPE its layers use (most
// models have one; Gemma 3 has a global and a local base), and the step's cos/sin rows of each.
//
// Plan once, run per layer: fill_step writes every table's rows for the step's tokens once, and
// each layer reads the rows of the table its LayerSpec names. On a backend with its own memory the
// rows come from per-table device tables by position (one gather per table per step, no host work,
// so CUDA graphs can capture it); otherwise they are computed on the host and copied.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/backend.h"
#include "model/model.h"
#include "model/rotary_embedding.h"

namespace turbine {

class RopeTables {
 public:
  RopeTables(const std::vector<RopeConfig>& ropes, int head_dim, int64_t max_position_embeddings);

  int size() const { return int(embeddings_.size()); }
  int head_dim() const { return head_dim_; }
  // Table i's row width: its rotary dimension (head_dim, or less with partial_rotary_factor), the
  // cos_sin width Backend::rope takes.
  int width(int i) const { return embeddings_[size_t(i)].rotary_dim(); }
  // The engine's longest sequence (RotaryEmbedding::set_context_length); before upload().
  void set_context_length(int64_t max_len) {
    for (RotaryEmbedding& e : embeddings_) e.set_context_length(max_len);
  }

  // On a backend with its own memory, uploads each table's rows for positions [0, max_model_len)
  // where that table gives every position the same row at those lengths (not dynamic NTK past its
  // context); a table that cannot keeps its rows on the host. Call from Model::reserve.
  void upload(Backend& backend, int64_t max_model_len);
  // Whether every table's rows come from the device (then fill_step issues backend ops only).
  bool on_device() const;

  // out[i] ([batch.num_tokens, width(i)] F32, backend memory) = table i's rows for the batch's
  // tokens. `host_rows` is scratch for tables computed on the host (kept to avoid reallocating).
  void fill_step(Backend& backend, const ForwardBatch& batch, Tensor* out, std::vector<float>& host_rows) const;

 private:
  int head_dim_;
  std::vector<RotaryEmbedding> embeddings_;
  std::vector<DeviceBuffer> device_buffers_;  // per table; empty when its rows stay on the host
  std::vector<Tensor> device_tables_;         // per table: [positions, head_dim] F32, or data == nullptr
};

}  // namespace turbine
