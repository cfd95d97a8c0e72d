// Embedding lookup.
//
// One block per id: the row is a contiguous run of `cols` elements, so the block's threads copy
// it with 16-byte accesses when the table is BF16 and both rows are 16-byte aligned (the common
// case: hidden sizes are multiples of 8 and cudaMalloc'd tables are aligned), and element by
// element otherwise (F32/F16 tables convert, and weights uploaded at an odd offset still work).
// Pure data movement: the cost is reading num_ids rows once and writing them once.
#include <algorithm>

#include "backend/cuda/common/bf16_io.cuh"
#include "backend/cuda/common/cuda_check.h"
#include "backend/cuda/embedding/embedding.h"

namespace turbine::cuda {
namespace {

template <typename T, bool kVector>
__global__ void embedding_kernel(EmbeddingParams p, DeviceErrorSink errors) {
  const int64_t row = blockIdx.x;
  const int32_t id = p.ids[row];
  if (id < 0 || id >= p.table_rows) {
    if (threadIdx.x == 0)
      report_device_error(errors, DeviceErrorCode::kEmbeddingId, id, int32_t(row), int32_t(p.table_rows));
    return;
  }
  const T* src = static_cast<const T*>(p.table) + int64_t(id) * p.cols;
  bf16* dst = static_cast<bf16*>(p.out) + row * p.cols;
  if constexpr (kVector) {
    const uint4* s = reinterpret_cast<const uint4*>(src);
    uint4* d = reinterpret_cast<uint4*>(dst);
    for (int64_t i = threadIdx.x; i < p.cols / 8; i += blockDim.x) d[i] = s[i];
  } else {
    for (int64_t c = threadIdx.x; c < p.cols; c += blockDim.x) dst[c] = __float2bfloat16_rn(to_f32(src[c]));
  }
}

template <typename T, bool kVector>
void launch(const EmbeddingParams& p, DeviceErrorSink errors, cudaStream_t stream) {
  const int64_t units = kVector ? p.cols / 8 : p.cols;
  const int threads = int(std::min<int64_t>(256, std::max<int64_t>(32, (units + 31) / 32 * 32)));
  embedding_kernel<T, kVector><<<unsigned(p.num_ids), threads, 0, stream>>>(p, errors);
  TURBINE_CUDA_CHECK_LAUNCH();
}

}  // namespace

void launch_embedding(const EmbeddingParams& p, DeviceErrorSink errors, cudaStream_t stream) {
  if (p.num_ids == 0 || p.cols == 0) return;
  switch (p.table_dtype) {
    case DType::kBF16:
      if (p.cols % 8 == 0 && is_aligned(p.table, 16) && is_aligned(p.out, 16)) {
        launch<bf16, true>(p, errors, stream);
      } else {
        launch<bf16, false>(p, errors, stream);
      }
      return;
    case DType::kF16: launch<__half, false>(p, errors, stream); return;
    case DType::kF32: launch<float, false>(p, errors, stream); return;
    default: TURBINE_LAUNCHER_REJECT("embedding", "a storage dtype");  // the op checks refuse them
  }
}

}  // namespace turbine::cuda
