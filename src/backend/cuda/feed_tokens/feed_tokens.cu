// Token feed: one thread per input id. A source outside the sampled tokens is reported
// (device_error.h) and its id left alone.
#include "backend/cuda/common/cuda_check.h"
#include "backend/cuda/feed_tokens/feed_tokens.h"

namespace turbine::cuda {
namespace {

__global__ void feed_tokens_kernel(FeedTokensParams p, DeviceErrorSink errors) {
  const int32_t i = int32_t(blockIdx.x * blockDim.x + threadIdx.x);
  if (i >= p.n) return;
  const int32_t source = p.sources[i];
  if (source < 0) return;
  if (source >= p.num_sampled) {
    report_device_error(errors, DeviceErrorCode::kFeedTokenSource, source, i, p.num_sampled);
    return;
  }
  p.ids[i] = p.sampled[source];
}

}  // namespace

void launch_feed_tokens(const FeedTokensParams& p, DeviceErrorSink errors, cudaStream_t stream) {
  if (p.n == 0) return;
  constexpr int kThreads = 256;
  feed_tokens_kernel<<<unsigned((p.n + kThreads - 1) / kThreads), kThreads, 0, stream>>>(p, errors);
  TURBINE_CUDA_CHECK_LAUNCH();
}

}  // namespace turbine::cuda
