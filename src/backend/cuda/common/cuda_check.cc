#include "backend/cuda/common/cuda_check.h"

#include <fmt/format.h>

#include "common/error.h"

namespace turbine::cuda {

void cuda_call_failed(cudaError_t status, const char* call, const char* file, int line) {
  check_failed(call, file, line, fmt::format("CUDA error {} ({})", cudaGetErrorName(status), cudaGetErrorString(status)));
}

void cublas_call_failed(cublasStatus_t status, const char* call, const char* file, int line) {
  check_failed(call, file, line,
               fmt::format("cuBLASLt error {} ({})", cublasLtGetStatusName(status), cublasLtGetStatusString(status)));
}

void launcher_rejected(const char* op, const char* what, const char* file, int line) {
  check_failed(op, file, line, fmt::format("unsupported {} reached the CUDA launcher", what));
}

}  // namespace turbine::cuda
