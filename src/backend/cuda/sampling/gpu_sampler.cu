// Launchers of the GPU sampler; the kernel's design is described in gpu_sampler_kernel.cuh.
#include "backend/cuda/sampling/gpu_sampler.h"

#include <atomic>
#include <cstdint>

#include "backend/cuda/common/cuda_check.h"
#include "backend/cuda/sampling/gpu_sampler_kernel.cuh"

namespace turbine::cuda {
namespace {

using sampling_detail::Smem;

// 512 threads and about 81 KB of shared memory per row: two rows per SM, so 264 rows of a
// batch run at once on an H100/H200 (132 SMs) and a 256-row batch is one wave.
constexpr int kThreads = 512;
static_assert(kGpuSamplingMaxVocab == sampling_detail::kMaxTiles * kThreads * sampling_detail::kEpt);

template <int VEC>
__global__ void __launch_bounds__(kThreads, 2) gpu_sampling_kernel(GpuSamplingBatch batch, GpuSamplingDebug debug) {
  extern __shared__ __align__(16) unsigned char smem[];
  sampling_detail::sample_row<kThreads, VEC>(batch, debug, *reinterpret_cast<Smem*>(smem), int(blockIdx.x));
}

// The dynamic shared-memory limit is raised once per kernel and device (a host-side attribute,
// not a stream operation; the first launch on a device should happen outside graph capture).
template <int VEC>
void raise_smem_limit() {
  static std::atomic<uint64_t> done{0};
  int device = 0;
  TURBINE_CUDA_CHECK(cudaGetDevice(&device));
  const uint64_t bit = device < 64 ? uint64_t(1) << device : 0;
  if (bit != 0 && (done.load(std::memory_order_acquire) & bit) != 0) return;
  TURBINE_CUDA_CHECK(cudaFuncSetAttribute(gpu_sampling_kernel<VEC>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          int(sizeof(Smem))));
  done.fetch_or(bit, std::memory_order_acq_rel);
}

void launch(const GpuSamplingBatch& b, const GpuSamplingDebug& debug, cudaStream_t stream) {
  if (b.rows <= 0) return;
  if (b.vocab < 1 || b.vocab > kGpuSamplingMaxVocab) TURBINE_LAUNCHER_REJECT("gpu_sampling", "vocabulary size");
  if (b.logits == nullptr || b.params == nullptr || b.out_tokens == nullptr || b.out_logprobs == nullptr ||
      (b.out_top_ids == nullptr) != (b.out_top_logprobs == nullptr) ||
      (debug.survivor_weights == nullptr) != (debug.survivor_total == nullptr)) {
    TURBINE_LAUNCHER_REJECT("gpu_sampling", "null pointer");
  }
  const bool vec4 = b.vocab % 4 == 0 && (reinterpret_cast<uintptr_t>(b.logits) & 15) == 0;
  if (vec4) {
    raise_smem_limit<4>();
    gpu_sampling_kernel<4><<<b.rows, kThreads, sizeof(Smem), stream>>>(b, debug);
  } else {
    raise_smem_limit<1>();
    gpu_sampling_kernel<1><<<b.rows, kThreads, sizeof(Smem), stream>>>(b, debug);
  }
  TURBINE_CUDA_CHECK_LAUNCH();
}

}  // namespace

size_t gpu_sampling_workspace_bytes(int max_rows, int /*vocab*/) {
  return size_t(max_rows > 0 ? max_rows : 0) * sizeof(GpuSamplingRowStats);
}

const GpuSamplingRowStats* gpu_sampling_row_stats(const void* host_workspace_copy, int row) {
  return static_cast<const GpuSamplingRowStats*>(host_workspace_copy) + row;
}

void launch_gpu_sampling(const GpuSamplingBatch& batch, cudaStream_t stream) {
  launch(batch, GpuSamplingDebug{}, stream);
}

void launch_gpu_sampling_debug(const GpuSamplingBatch& batch, const GpuSamplingDebug& debug, cudaStream_t stream) {
  launch(batch, debug, stream);
}

}  // namespace turbine::cuda
