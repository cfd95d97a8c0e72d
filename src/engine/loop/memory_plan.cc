#include "engine/loop/memory_plan.h"

#include <fmt/format.h>

#include "common/error.h"

namespace turbine {
namespace {

double gib(uint64_t bytes) { return double(bytes) / double(uint64_t(1) << 30); }

}  // namespace

std::string GpuMemoryPlan::describe() const {
  return fmt::format(
      "memory plan: {:.2f} GiB device x utilization = {:.2f} GiB budget; in use {:.2f} GiB (weights {:.2f}, "
      "activations + CUDA context + others {:.2f}); logits {:.2f} GiB; runtime reserve {:.2f} GiB; KV cache {:.2f} GiB",
      gib(total), gib(budget), gib(in_use), gib(weights), gib(in_use > weights ? in_use - weights : 0), gib(logits),
      gib(runtime_reserve), gib(kv_cache));
}

GpuMemoryPlan plan_gpu_memory(const DeviceMemoryInfo& device, double utilization, uint64_t weight_bytes,
                              uint64_t logits_bytes) {
  if (!(utilization > 0.0 && utilization <= 1.0))
    fail("--gpu-memory-utilization must be in (0, 1], got {}", utilization);
  GpuMemoryPlan p;
  p.total = device.total_bytes;
  p.budget = uint64_t(double(device.total_bytes) * utilization);
  p.in_use = device.total_bytes - device.free_bytes;
  p.weights = weight_bytes;
  p.logits = logits_bytes;
  p.runtime_reserve = kRuntimeReserveBytes;
  const uint64_t needed = p.in_use + p.logits + p.runtime_reserve;
  if (p.budget <= needed)
    fail("no GPU memory is left for the KV cache: {}; raise --gpu-memory-utilization, lower --max-num-seqs / "
         "--max-num-batched-tokens, or free the device",
         p.describe());
  p.kv_cache = p.budget - needed;
  return p;
}

}  // namespace turbine
