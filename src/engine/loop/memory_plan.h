// The memory planner: how many bytes of a GPU the KV cache gets.
//
// Computed, not probed: by the time it runs the weights are on the device and the model has
// reserved its activation workspace and the backend its scratch for the largest step
// (Model::reserve), so the device's free memory already reflects them. The KV cache gets
//   total * gpu_memory_utilization - (total - free) - logits - runtime reserve,
// where (total - free) is everything already allocated on the device (weights, workspace, the
// CUDA context, other processes), logits is the runner's F32 logits buffer for max_num_seqs rows
// (allocated after the KV cache) and the runtime reserve covers what is allocated later and not
// sized here (CUDA graphs, the sampler's outputs, step inputs).
#pragma once

#include <cstdint>
#include <string>

#include "backend/backend.h"

namespace turbine {

struct GpuMemoryPlan {
  uint64_t total = 0;
  uint64_t budget = 0;          // total * utilization
  uint64_t in_use = 0;          // total - free at planning time
  uint64_t weights = 0;         // part of in_use
  uint64_t logits = 0;
  uint64_t runtime_reserve = 0;
  uint64_t kv_cache = 0;        // what is left for K and V

  std::string describe() const;
};

inline constexpr uint64_t kRuntimeReserveBytes = uint64_t(256) << 20;

// Throws turbine::Error when nothing is left for the KV cache, saying what took the memory.
GpuMemoryPlan plan_gpu_memory(const DeviceMemoryInfo& device, double gpu_memory_utilization, uint64_t weight_bytes,
                              uint64_t logits_bytes);

}  // namespace turbine
