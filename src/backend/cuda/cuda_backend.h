// The CUDA backend: every Backend op on one NVIDIA GPU, queued on one stream.
//
// Activations and the KV cache are BF16 (activation_dtype() == kBF16), accumulation is F32.
// Weights: linear() runs dense BF16 (its kernel table in cuda_backend.cc says so, and that dense
// F32 and F16 weights are converted to BF16 at load; handed to linear() unconverted they are a
// turbine::Error naming the format and shape); embedding tables and norm weights may be F32, BF16
// or F16; biases too.
// linear() may write F32 output (BF16 x and weight, F32 out), which is how logits can come back
// to the host sampler as F32 without a separate cast.
//
// Every pointer handed to an op is device memory from allocate(), including the int32 index
// arrays, which the kernels bounds-check on the GPU; a bad index aborts at the next synchronising
// call (synchronize, copy_to_host) with the same message as the CPU backend's check. Ops are
// asynchronous; copy_to_host and synchronize wait for them. copy_to_device returns once the
// copy is done, so the caller may reuse its host buffer at once. One backend is used from one
// thread at a time (like the CPU backend). This header pulls in no CUDA headers.
#pragma once

#include <memory>

#include "backend/backend.h"

namespace turbine {

struct CudaBackendOptions {
  int device = 0;
  // > 0 forces attention's split-KV count (tests cover both paths with it); 0 picks it per batch.
  int attention_splits = 0;
};

// True when the CUDA runtime finds at least one device. False (not an error) without a driver or
// GPU, so tests can skip and callers can fall back to the CPU.
bool cuda_device_available();

// Throws turbine::Error when the device does not exist.
std::unique_ptr<Backend> make_cuda_backend(int device = 0);
std::unique_ptr<Backend> make_cuda_backend(const CudaBackendOptions& options);

}  // namespace turbine
