// Backend::sample on the CUDA backend: stages a DeviceSamplingBatch's host lists (rows,
// adjustments, suppressed ids) to the device in one copy, launches the GPU sampler
// (gpu_sampler.h) on the backend's stream and brings back the ids and logprobs in one copy.
//
// Why a class of its own: the buffers (pinned host and device, in and out) are kept between
// steps and grow only when a batch needs more, so a step allocates nothing once warmed up. The
// sampler is launched eagerly after the forward pass (or its graph replay): one launch, so a
// graph would save nothing, and its parameters change every step.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

#include "backend/device_sampling.h"

namespace turbine::cuda {

class SamplingStage {
 public:
  SamplingStage() = default;
  SamplingStage(const SamplingStage&) = delete;
  SamplingStage& operator=(const SamplingStage&) = delete;
  ~SamplingStage();

  // Samples every row and waits on `stream` for the results, which stay valid until the next
  // call. Bad shapes or ranges are caller bugs (TURBINE_CHECK). The caller checks the backend's
  // device-error record afterwards.
  DeviceSamplingResult run(const DeviceSamplingBatch& batch, cudaStream_t stream);

 private:
  // A buffer that only grows; `pinned` picks cudaHostAlloc over cudaMalloc.
  struct Block {
    void* data = nullptr;
    size_t bytes = 0;
    bool pinned = false;
    void reserve(size_t need);
    void release();
  };
  Block in_host_{nullptr, 0, true};
  Block in_device_{nullptr, 0, false};
  Block out_device_{nullptr, 0, false};
  Block out_host_{nullptr, 0, true};
};

}  // namespace turbine::cuda
