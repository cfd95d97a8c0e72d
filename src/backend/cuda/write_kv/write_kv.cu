// K/V cache write: cache[slot_mapping[t], :] = k[t, :] (and the same for V).
//
// One block per token, copying both rows with 16-byte accesses when rows are multiples of 8 BF16
// and everything is 16-byte aligned (always true for kv_heads * head_dim with head_dim % 8 == 0 and
// cudaMalloc'd buffers), element-wise otherwise. A negative slot is a padding token and is
// skipped; a slot past the cache is reported (device_error.h) and skipped. Planned: fuse this with
// RoPE so K is rotated on its way into the cache instead of in a separate pass.
#include <algorithm>

#include "backend/cuda/common/bf16_io.cuh"
#include "backend/cuda/common/cuda_check.h"
#include "backend/cuda/write_kv/write_kv.h"

namespace turbine::cuda {
namespace {

template <typename U>
__global__ void write_kv_kernel(WriteKvParams p, DeviceErrorSink errors) {
  const int64_t token = blockIdx.x;
  const int32_t slot = p.slot_mapping[token];
  if (slot < 0) return;
  if (slot >= p.cache_rows) {
    if (threadIdx.x == 0)
      report_device_error(errors, DeviceErrorCode::kWriteKvSlot, slot, int32_t(token), int32_t(p.cache_rows));
    return;
  }
  const int64_t units = p.cols * int64_t(sizeof(bf16)) / int64_t(sizeof(U));
  const U* k = static_cast<const U*>(p.k) + token * units;
  const U* v = static_cast<const U*>(p.v) + token * units;
  U* kc = static_cast<U*>(p.k_cache) + int64_t(slot) * units;
  U* vc = static_cast<U*>(p.v_cache) + int64_t(slot) * units;
  for (int64_t i = threadIdx.x; i < units; i += blockDim.x) {
    kc[i] = k[i];
    vc[i] = v[i];
  }
}

}  // namespace

void launch_write_kv(const WriteKvParams& p, DeviceErrorSink errors, cudaStream_t stream) {
  if (p.tokens == 0 || p.cols == 0) return;
  const bool vector = p.cols % 8 == 0 && is_aligned(p.k, 16) && is_aligned(p.v, 16) && is_aligned(p.k_cache, 16) &&
                      is_aligned(p.v_cache, 16);
  const int64_t units = vector ? p.cols / 8 : p.cols;
  const int threads = int(std::clamp<int64_t>((units + 31) / 32 * 32, 32, 256));
  if (vector) {
    write_kv_kernel<uint4><<<unsigned(p.tokens), threads, 0, stream>>>(p, errors);
  } else {
    write_kv_kernel<uint16_t><<<unsigned(p.tokens), threads, 0, stream>>>(p, errors);
  }
  TURBINE_CUDA_CHECK_LAUNCH();
}

}  // namespace turbine::cuda
