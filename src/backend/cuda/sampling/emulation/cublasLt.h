// A stand-in for <cublasLt.h> in the host emulation (see cuda_runtime.h here): just enough for
// backend/cuda/common/cuda_check.h, which sampling_stage.cc includes. Never on a real build's
// include path.
#pragma once

using cublasStatus_t = int;
constexpr cublasStatus_t CUBLAS_STATUS_SUCCESS = 0;
