// DeviceWeights: a model's weights copied once into a backend's own memory.
//
// On a backend whose memory is the host's (the CPU), the model reads the memory-mapped
// checkpoint in place and never needs this. On a GPU, every weight the model took is copied into
// one allocation (one cudaMalloc for the whole model: no fragmentation, one number for the memory
// planner), each tensor starting on a 256-byte boundary (cuBLASLt wants 16-byte alignment at
// least; 256 keeps every vector load aligned), converted to the backend's activation dtype when
// the checkpoint stores another float type (an F32 or F16 checkpoint runs in BF16 on the GPU, as
// vLLM's dtype "auto" does). Tensors that view the same bytes (tied embeddings) share one copy.
// `upload` rewrites the caller's Tensors to point at the copies. Tensors of one group are placed
// back to back, so weights with the same input size stacked by rows ([q; k; v], [gate; up]) form
// one larger weight the model can run as a single projection.
#pragma once

#include <cstddef>
#include <vector>

#include "backend/backend.h"

namespace turbine {

class DeviceWeights {
 public:
  DeviceWeights() = default;

  // Copies every tensor in `tensors` and in the groups (pointers into the model's own fields; a
  // tensor may be listed in both) and repoints them.
  static DeviceWeights upload(Backend& backend, const std::vector<Tensor*>& tensors,
                              const std::vector<std::vector<Tensor*>>& contiguous_groups = {});

  size_t bytes() const { return arena_.bytes(); }

 private:
  DeviceBuffer arena_;
};

}  // namespace turbine
