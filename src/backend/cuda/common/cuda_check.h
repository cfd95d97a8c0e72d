// Checks on every CUDA runtime and cuBLASLt call.
//
// A failed CUDA call inside the backend is a bug or a broken device, never something a user can
// fix by changing input, so these abort with the call, its status and the location (like
// TURBINE_CHECK). The one user-caused case, running out of device memory in allocate(), is turned
// into a turbine::Error by the backend itself. Header usable from .cu files: no fmt here.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

namespace turbine::cuda {

[[noreturn]] void cuda_call_failed(cudaError_t status, const char* call, const char* file, int line);
[[noreturn]] void cublas_call_failed(cublasStatus_t status, const char* call, const char* file, int line);
// A launcher reached a case the backend's checks should have rejected first (a bug).
[[noreturn]] void launcher_rejected(const char* op, const char* what, const char* file, int line);

}  // namespace turbine::cuda

#define TURBINE_CUDA_CHECK(call)                                                             \
  do {                                                                                       \
    const cudaError_t turbine_cuda_status_ = (call);                                         \
    if (turbine_cuda_status_ != cudaSuccess)                                                 \
      ::turbine::cuda::cuda_call_failed(turbine_cuda_status_, #call, __FILE__, __LINE__);    \
  } while (0)

// For destructors: at process exit the CUDA runtime may already be unloaded, which is not an error
// worth aborting for; any other failure is.
#define TURBINE_CUDA_CHECK_TEARDOWN(call)                                                    \
  do {                                                                                       \
    const cudaError_t turbine_cuda_status_ = (call);                                         \
    if (turbine_cuda_status_ != cudaSuccess && turbine_cuda_status_ != cudaErrorCudartUnloading) \
      ::turbine::cuda::cuda_call_failed(turbine_cuda_status_, #call, __FILE__, __LINE__);    \
  } while (0)

// After a kernel launch: catches a bad launch configuration at once (errors while the kernel runs
// surface at the next synchronising call, which is checked too).
#define TURBINE_CUDA_CHECK_LAUNCH() TURBINE_CUDA_CHECK(cudaGetLastError())

#define TURBINE_LAUNCHER_REJECT(op, what) ::turbine::cuda::launcher_rejected(op, what, __FILE__, __LINE__)

#define TURBINE_CUBLAS_CHECK(call)                                                           \
  do {                                                                                       \
    const cublasStatus_t turbine_cublas_status_ = (call);                                    \
    if (turbine_cublas_status_ != CUBLAS_STATUS_SUCCESS)                                     \
      ::turbine::cuda::cublas_call_failed(turbine_cublas_status_, #call, __FILE__, __LINE__); \
  } while (0)
