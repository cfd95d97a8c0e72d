// Rotary embedding, rotate-half layout, in place on BF16 [tokens, heads * head_dim], over the first
// rotary_dim elements of each head (backend.h).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace turbine::cuda {

struct RopeParams {
  void* x = nullptr;                // BF16 [tokens, cols], cols = heads * head_dim
  const float* cos_sin = nullptr;   // F32 [tokens, rotary_dim]: cos in the first half, sin in the second
  int64_t tokens = 0;
  int64_t cols = 0;
  int head_dim = 0;
  // The first rotary_dim elements of each head rotate (even, <= head_dim; < head_dim is partial
  // rotary); the rest are not touched.
  int rotary_dim = 0;
};

void launch_rope(const RopeParams& p, cudaStream_t stream);

}  // namespace turbine::cuda
