// KvCache: the paged K/V storage of every layer, allocated from a backend.
//
// Layout per layer (see backend.h): K and V are [num_blocks * block_size, kv_heads * head_dim]
// in the backend's activation dtype. Which request owns which block is not known here; the
// engine's block pool decides that and hands the runner block tables.
#pragma once

#include <cstddef>
#include <vector>

#include "backend/backend.h"
#include "model/model.h"

namespace turbine {

class KvCache {
 public:
  KvCache(Backend& backend, const ModelConfig& config, int num_blocks, int block_size);

  // Bytes one block takes across all layers (K and V).
  static size_t bytes_per_block(const ModelConfig& config, int block_size, DType dtype);

  int num_blocks() const { return view_.num_blocks; }
  int block_size() const { return view_.block_size; }
  KvCacheView& view() { return view_; }

 private:
  std::vector<DeviceBuffer> buffers_;
  KvCacheView view_;
};

}  // namespace turbine
