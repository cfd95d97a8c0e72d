// DeviceWeights: a model's weights copied once into a backend's own memory.
//
// On a backend whose memory is the host's (the CPU), the model reads the memory-mapped
// checkpoint in place and never needs this. On a GPU, every weight the model took is copied into
// one allocation (one cudaMalloc for the whole model: no fragmentation, one number for the memory
// planner), each tensor starting on a 256-byte boundary (cuBLASLt wants 16-byte alignment at
// least; 256 keeps every vector load aligned). Nothing here decides a dtype: each tensor comes with
// the dtype its copy must have. For a linear layer that is what the backend's kernel table
// prepares its weight format as (add_linear_uploads: the CUDA GEMMs read dense BF16, so an F32 or
// F16 checkpoint's projections are converted; a format the backend runs as stored is copied byte
// for byte); for the other tensors the model says (its activation dtype, as vLLM's dtype "auto").
// Tensors that view the same bytes (tied embeddings) share one copy. `upload` rewrites the
// caller's Tensors to point at the copies. Tensors of one group are placed back to back, so
// weights with the same input size stacked by rows ([q; k; v], [gate; up]) form one larger weight
// the model can run as a single projection.
#pragma once

#include <cstddef>
#include <vector>

#include "backend/backend.h"

namespace turbine {

// One tensor to copy, and the dtype of its copy: a compute dtype (F32, BF16, F16) may become
// another compute dtype on the way; any other dtype is copied as stored (`dtype` is its own).
struct WeightUpload {
  Tensor* tensor = nullptr;
  DType dtype = DType::kF32;
};

// Appends the uploads of one linear layer as `support` (the backend's linear_formats()) prepares
// its format: the weight in the storage dtype of the prepared format, scales and zeros as stored,
// the bias in `bias_dtype`; and sets w.format to the prepared format, which the tensors are in once
// upload() has run. The format must be supported (the loader checked it, naming the tensor).
void add_linear_uploads(const LinearFormatSupport& support, LinearWeights& w, DType bias_dtype,
                        std::vector<WeightUpload>& uploads);

class DeviceWeights {
 public:
  DeviceWeights() = default;

  // Copies every tensor of `uploads` (pointers into the model's own fields; null tensors are
  // skipped) and repoints them. Each tensor of a group must also be in `uploads`.
  static DeviceWeights upload(Backend& backend, const std::vector<WeightUpload>& uploads,
                              const std::vector<std::vector<Tensor*>>& contiguous_groups = {});

  size_t bytes() const { return arena_.bytes(); }

 private:
  DeviceBuffer arena_;
};

}  // namespace turbine
