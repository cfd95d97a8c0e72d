// Launcher of the token-bitmask kernel; the contract is in token_bitmask_kernel.h, the body in
// token_bitmask_kernel.cuh.
#include "backend/cuda/sampling/token_bitmask_kernel.h"

#include "backend/cuda/common/cuda_check.h"
#include "backend/cuda/sampling/gpu_sampler.h"
#include "backend/cuda/sampling/token_bitmask_kernel.cuh"

namespace turbine::cuda {
namespace {

using token_bitmask_detail::kChunk;
using token_bitmask_detail::kThreads;

// Rows on x (up to 2^31 - 1), chunks on y (at most 256 for kGpuSamplingMaxVocab).
static_assert((kGpuSamplingMaxVocab + kChunk - 1) / kChunk <= 65535);

__global__ void __launch_bounds__(kThreads) token_bitmask_kernel(TokenBitmaskBatch batch) {
  token_bitmask_detail::mask_chunk(batch, int(blockIdx.x), int(blockIdx.y), int(threadIdx.x));
}

}  // namespace

void launch_token_bitmask(const TokenBitmaskBatch& b, cudaStream_t stream) {
  if (b.rows <= 0) return;
  if (b.vocab < 1 || b.vocab > kGpuSamplingMaxVocab) TURBINE_LAUNCHER_REJECT("token_bitmask", "vocabulary size");
  if (b.words < 1) TURBINE_LAUNCHER_REJECT("token_bitmask", "mask width");
  if (b.logits == nullptr || b.params == nullptr || b.bitmask == nullptr) {
    TURBINE_LAUNCHER_REJECT("token_bitmask", "null pointer");
  }
  const dim3 grid(unsigned(b.rows), unsigned((b.vocab + kChunk - 1) / kChunk));
  token_bitmask_kernel<<<grid, kThreads, 0, stream>>>(b);
  TURBINE_CUDA_CHECK_LAUNCH();
}

}  // namespace turbine::cuda
