// MoeExpertWeights: one Mixture-of-Experts layer's experts as the backend's moe_experts() receives
// them (Mixtral, Qwen2-MoE, Qwen3-MoE; backend.h has the ops).
//
// Each expert is a gated MLP down(silu(gate(x)) * up(x)) with dense weights in a compute dtype
// (F32/BF16/F16). `gate[e]`, `up[e]`: [intermediate, hidden]; `down[e]`: [hidden, intermediate].
// On a backend with its own memory the model also uploads each projection of all experts back to
// back and sets the stacked views (gate_up_stacked: [num_experts * 2 * intermediate, hidden],
// expert e's gate rows then its up rows; down_stacked: [num_experts * hidden, intermediate]);
// they are empty (data == nullptr) on the CPU, which reads the per-expert tensors in place.
// A value type of views, cheap to copy; whoever made the memory owns it.
#pragma once

#include <cstdint>
#include <vector>

#include "common/tensor.h"

namespace turbine {

struct MoeExpertWeights {
  int num_experts = 0;
  int64_t hidden = 0;
  int64_t intermediate = 0;
  std::vector<Tensor> gate, up, down;
  Tensor gate_up_stacked, down_stacked;
};

}  // namespace turbine
