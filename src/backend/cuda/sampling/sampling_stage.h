// Backend::sample_async / collect_sampled on the CUDA backend: stages a DeviceSamplingBatch's
// host lists (rows, adjustments, suppressed ids, the allowed-token masks in use) to the device in
// one copy, applies the masks (token_bitmask_kernel.h) when a row has one, launches the GPU
// sampler (gpu_sampler.h) on the backend's stream and queues the ids and logprobs back in one
// copy; collect() waits for that copy.
//
// Why a class of its own: the buffers (pinned host and device, in and out) are kept between
// steps and grow only when a batch needs more, so a step allocates nothing once warmed up. The
// pinned buffers come in two slots, because a step scheduled ahead stages its inputs while the
// previous step's copies may still be queued. The sampler is launched eagerly after the forward
// pass (or its graph replay): one launch, so a graph would save nothing, and its parameters
// change every step.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <deque>

#include "backend/device_sampling.h"

namespace turbine::cuda {

class SamplingStage {
 public:
  SamplingStage() = default;
  SamplingStage(const SamplingStage&) = delete;
  SamplingStage& operator=(const SamplingStage&) = delete;
  ~SamplingStage();

  // Queues the sampling of every row on `stream` and returns the device array of chosen ids,
  // which the next launch overwrites (in stream order). Bad shapes or ranges are caller bugs
  // (TURBINE_CHECK). At most two launches may be uncollected.
  const int32_t* launch(const DeviceSamplingBatch& batch, cudaStream_t stream);
  // Waits for the oldest uncollected launch and returns its results, valid until two more
  // launches. The caller checks the backend's device-error record afterwards.
  DeviceSamplingResult collect();

 private:
  // A buffer that only grows; `pinned` picks cudaHostAlloc over cudaMalloc. Growing frees the old
  // buffer: the caller makes sure nothing queued still uses it.
  struct Block {
    void* data = nullptr;
    size_t bytes = 0;
    bool pinned = false;
    void reserve(size_t need);
    void release();
  };
  struct Slot {
    Block in_host{nullptr, 0, true};
    Block out_host{nullptr, 0, true};
    cudaEvent_t done = nullptr;  // recorded after the copy back
    DeviceSamplingResult result;  // spans into out_host
  };
  Slot slots_[2];
  int next_slot_ = 0;
  std::deque<int> uncollected_;  // slot indices, oldest first
  Block in_device_{nullptr, 0, false};
  Block out_device_{nullptr, 0, false};
};

}  // namespace turbine::cuda
