// (Placeholder matching the moe-ops branch's interface; replaced at its merge.)
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
