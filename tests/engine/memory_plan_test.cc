// The GPU memory planner's arithmetic and its refusals (engine/loop/memory_plan.h).
#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "engine/loop/memory_plan.h"

namespace turbine {
namespace {

constexpr uint64_t kGiB = uint64_t(1) << 30;

TEST(MemoryPlan, KvCacheGetsTheBudgetLessWhatIsInUseLogitsAndReserve) {
  const DeviceMemoryInfo device{.free_bytes = 60 * kGiB, .total_bytes = 80 * kGiB};
  const GpuMemoryPlan p = plan_gpu_memory(device, 0.9, 16 * kGiB, kGiB / 2);
  EXPECT_EQ(p.budget, uint64_t(80 * kGiB * 0.9));
  EXPECT_EQ(p.in_use, 20 * kGiB);
  EXPECT_EQ(p.weights, 16 * kGiB);
  EXPECT_EQ(p.kv_cache, p.budget - 20 * kGiB - kGiB / 2 - kRuntimeReserveBytes);
  EXPECT_NE(p.describe().find("KV cache"), std::string::npos);
}

TEST(MemoryPlan, NothingLeftIsAnErrorSayingWhatTookTheMemory) {
  const DeviceMemoryInfo device{.free_bytes = 5 * kGiB, .total_bytes = 80 * kGiB};  // 75 GiB in use > 72 GiB budget
  try {
    plan_gpu_memory(device, 0.9, 60 * kGiB, kGiB);
    FAIL() << "a plan with nothing left for the KV cache was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no GPU memory is left for the KV cache"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("weights 60.00"), std::string::npos) << e.what();
  }
}

TEST(MemoryPlan, UtilizationOutsideZeroToOneIsRejected) {
  const DeviceMemoryInfo device{.free_bytes = 80 * kGiB, .total_bytes = 80 * kGiB};
  for (double u : {0.0, -0.5, 1.01}) EXPECT_THROW(plan_gpu_memory(device, u, 0, 0), Error) << u;
  EXPECT_NO_THROW(plan_gpu_memory(device, 1.0, 0, 0));
}

}  // namespace
}  // namespace turbine
