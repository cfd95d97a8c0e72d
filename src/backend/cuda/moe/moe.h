// Mixture-of-Experts kernels: routing (softmax + top-k), the experts' gated MLPs from the stacked
// weights, and Qwen2-MoE's sigmoid-gated add (backend.h's moe_route, moe_experts,
// add_sigmoid_scaled). Every launch shape follows from the tensor shapes alone (tokens, top_k,
// experts, hidden, intermediate), never from the ids, so all of it can be captured in a CUDA graph.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "backend/cuda/common/device_error.h"
#include "common/dtype.h"

namespace turbine::cuda {

struct MoeRouteParams {
  const void* logits = nullptr;  // [tokens, num_experts], BF16 or F32
  bool logits_f32 = false;
  int64_t tokens = 0;
  int num_experts = 0;
  int top_k = 0;
  bool renormalize = false;
  int32_t* ids = nullptr;    // [tokens, top_k]
  float* weights = nullptr;  // [tokens, top_k]
};

void launch_moe_route(const MoeRouteParams& p, cudaStream_t stream);

struct MoeExpertsParams {
  const void* x = nullptr;         // BF16 [tokens, hidden]
  const int32_t* ids = nullptr;    // [tokens, top_k], device memory, checked by the kernels
  const float* weights = nullptr;  // [tokens, top_k]
  const void* gate_up = nullptr;   // [num_experts * 2 * intermediate, hidden]: expert e's gate rows, then its up rows
  const void* down = nullptr;      // [num_experts * hidden, intermediate]
  DType weight_dtype = DType::kBF16;  // of gate_up and down: BF16, F16 or F32
  void* out = nullptr;             // BF16 [tokens, hidden], apart from x
  int64_t tokens = 0;
  int64_t hidden = 0;
  int64_t intermediate = 0;
  int num_experts = 0;
  int top_k = 0;
  void* scratch = nullptr;         // moe_experts_scratch_bytes(tokens, top_k, intermediate), 16-byte aligned
};

// The largest launch dimension the kernels need per row of hidden or intermediate: both must be
// at most this (the grid's y extent is a block per 8 rows).
inline constexpr int64_t kMoeMaxWidth = int64_t(65535) * 8;

// The intermediate activations of one chunk of tokens ([chunk * top_k, intermediate] BF16): tokens
// are run in chunks so that this stays within kMoeMaxScratchBytes whatever the batch (a single
// token's top_k rows may exceed it; none of today's models comes near).
inline constexpr size_t kMoeMaxScratchBytes = size_t(32) << 20;
size_t moe_experts_scratch_bytes(int64_t tokens, int top_k, int64_t intermediate);

void launch_moe_experts(const MoeExpertsParams& p, DeviceErrorSink errors, cudaStream_t stream);

// x[t, :] += sigmoid(gate[t, 0]) * y[t, :] for x, y BF16 [rows, cols] and gate [rows, 1] BF16 or F32
// (`gate_f32`); computed in F32 and rounded once.
void launch_add_sigmoid_scaled(void* x, const void* y, const void* gate, bool gate_f32, int64_t rows, int64_t cols,
                               cudaStream_t stream);

}  // namespace turbine::cuda
