// Row gather (the rows that need logits, before the final norm and the LM head).
//
// Dtype-blind byte copy: one block per output row, in the widest unit (16, 4, 2 or 1 bytes) that
// divides the row length and both base pointers' alignment. A row index outside x is reported
// (device_error.h) and its row is left untouched.
#include <algorithm>

#include "backend/cuda/common/bf16_io.cuh"
#include "backend/cuda/common/cuda_check.h"
#include "backend/cuda/gather_rows/gather_rows.h"

namespace turbine::cuda {
namespace {

template <typename U>
__global__ void gather_rows_kernel(GatherRowsParams p, DeviceErrorSink errors) {
  const int64_t i = blockIdx.x;
  const int32_t row = p.rows[i];
  if (row < 0 || row >= p.x_rows) {
    if (threadIdx.x == 0) report_device_error(errors, DeviceErrorCode::kGatherRow, row, int32_t(i), int32_t(p.x_rows));
    return;
  }
  const int64_t units = int64_t(p.row_bytes / sizeof(U));
  const U* src = static_cast<const U*>(p.x) + int64_t(row) * units;
  U* dst = static_cast<U*>(p.out) + i * units;
  for (int64_t u = threadIdx.x; u < units; u += blockDim.x) dst[u] = src[u];
}

template <typename U>
void launch(const GatherRowsParams& p, DeviceErrorSink errors, cudaStream_t stream) {
  const int64_t units = int64_t(p.row_bytes / sizeof(U));
  const int threads = int(std::clamp<int64_t>((units + 31) / 32 * 32, 32, 256));
  gather_rows_kernel<U><<<unsigned(p.out_rows), threads, 0, stream>>>(p, errors);
  TURBINE_CUDA_CHECK_LAUNCH();
}

}  // namespace

void launch_gather_rows(const GatherRowsParams& p, DeviceErrorSink errors, cudaStream_t stream) {
  if (p.out_rows == 0 || p.row_bytes == 0) return;
  auto fits = [&](size_t unit) { return p.row_bytes % unit == 0 && is_aligned(p.x, unit) && is_aligned(p.out, unit); };
  if (fits(16)) {
    launch<uint4>(p, errors, stream);
  } else if (fits(4)) {
    launch<uint32_t>(p, errors, stream);
  } else if (fits(2)) {
    launch<uint16_t>(p, errors, stream);
  } else {
    launch<uint8_t>(p, errors, stream);
  }
}

}  // namespace turbine::cuda
