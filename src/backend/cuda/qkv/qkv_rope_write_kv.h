// The fused attention prologue (Backend::qkv_rope_write_kv): split the stacked q/k/v projection,
// rotate q and k, write q out and k/v into their cache slots, in one pass.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backend/cuda/common/device_error.h"

namespace turbine::cuda {

struct QkvRopeParams {
  const void* qkv = nullptr;      // BF16 [tokens, (heads + 2 kv_heads) * head_dim]
  const float* cos_sin = nullptr; // F32 [tokens, rotary_dim] (rows past `tokens` are not read)
  void* q = nullptr;              // BF16 [tokens, heads * head_dim]
  void* k_cache = nullptr;        // BF16 [cache_rows, kv_heads * head_dim]
  void* v_cache = nullptr;
  const int32_t* slot_mapping = nullptr;  // [tokens], device memory; negative = padding, skipped
  int64_t tokens = 0;
  int64_t cache_rows = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  // The first rotary_dim elements of each q and k head rotate (even, <= head_dim; < head_dim is
  // partial rotary); the rest are copied (normalised, with the norm).
  int rotary_dim = 0;
  // Per-head RMSNorm of q and k before the rotation (Qwen3), when q_norm is set: weights
  // [head_dim], BF16 or F32 (norm_f32).
  const void* q_norm = nullptr;
  const void* k_norm = nullptr;
  bool norm_f32 = false;
  float eps = 0.0f;
};

void launch_qkv_rope_write_kv(const QkvRopeParams& p, DeviceErrorSink errors, cudaStream_t stream);

}  // namespace turbine::cuda
