// Fused attention prologue: one block per token reads its row of the stacked q/k/v projection
// once. Each thread owns one pair of elements of one head: for i < r/2 (r = rotary_dim) the
// rotate-half pair (i, i + r/2), for i >= r/2 (partial rotary only) the pass-through pair
// (r + j, r + j + (d - r)/2) with j = i - r/2, so consecutive threads still touch consecutive
// elements. q and k pairs are rotated in F32 and rounded once (exactly what rope() does), q lands
// in the q buffer and k in its cache slot; pass-through pairs and v pairs are copied unchanged
// (bit for bit, unless the norm scales them). This replaces two rope launches, a write_kv
// launch and their extra round trips through memory: at decode it is 3 of the ~14 launches of a
// layer. A negative slot (a padding token) still writes q; a slot past the cache is reported
// (device_error.h) and its K/V skipped, like write_kv.
//
// With the per-head norm (Qwen3's q_norm / k_norm) each warp first sums the squares of whole q
// and k heads (a fixed order, so the result is deterministic) into one scale per head in shared
// memory; the rotation then reads x * scale * weight in F32, so q and k are rounded once, after
// the norm and the rotation, instead of after each as separate ops would.
#include <algorithm>

#include "backend/cuda/common/bf16_io.cuh"
#include "backend/cuda/common/cuda_check.h"
#include "backend/cuda/qkv/qkv_rope_write_kv.h"

namespace turbine::cuda {
namespace {

__global__ void qkv_rope_write_kv_kernel(QkvRopeParams p, DeviceErrorSink errors) {
  const int64_t token = blockIdx.x;
  const int half = p.head_dim / 2;
  const int rot_half = p.rotary_dim / 2;       // rotate-half pairs per head
  const int tail_half = half - rot_half;        // pass-through pairs per head (partial rotary)
  const int heads = p.num_heads + 2 * p.num_kv_heads;
  const int64_t row_cols = int64_t(heads) * p.head_dim;
  const int64_t kv_cols = int64_t(p.num_kv_heads) * p.head_dim;
  const bf16* row = static_cast<const bf16*>(p.qkv) + token * row_cols;
  const float* cs = p.cos_sin + token * p.rotary_dim;
  extern __shared__ float head_scale[];  // [num_heads + num_kv_heads] with the norm, else empty
  const bool norm = p.q_norm != nullptr;
  if (norm) {
    const int lane = threadIdx.x & 31, warps = int(blockDim.x >> 5);
    for (int head = int(threadIdx.x >> 5); head < p.num_heads + p.num_kv_heads; head += warps) {
      const bf16* x = row + int64_t(head) * p.head_dim;
      float sum = 0.0f;
      for (int i = lane; i < p.head_dim; i += 32) {
        const float v = __bfloat162float(x[i]);
        sum += v * v;
      }
#pragma unroll
      for (int offset = 16; offset > 0; offset >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
      if (lane == 0) head_scale[head] = rsqrtf(sum / float(p.head_dim) + p.eps);
    }
    __syncthreads();
  }
  auto norm_weight = [&](bool is_q, int i) {
    const void* w = is_q ? p.q_norm : p.k_norm;
    return p.norm_f32 ? static_cast<const float*>(w)[i] : __bfloat162float(static_cast<const bf16*>(w)[i]);
  };
  const int32_t slot = p.slot_mapping[token];
  const bool slot_ok = slot >= 0 && slot < p.cache_rows;
  if (slot >= p.cache_rows && threadIdx.x == 0)
    report_device_error(errors, DeviceErrorCode::kWriteKvSlot, slot, int32_t(token), int32_t(p.cache_rows));
  const int64_t pairs = int64_t(heads) * half;
  for (int64_t pi = threadIdx.x; pi < pairs; pi += blockDim.x) {
    const int head = int(pi / half);
    const int k = int(pi - int64_t(head) * half);
    const bool rotate = k < rot_half;
    // The pair's two elements: (i, i + step) within the head.
    const int i = rotate ? k : p.rotary_dim + (k - rot_half);
    const int step = rotate ? rot_half : tail_half;
    const bf16* src = row + int64_t(head) * p.head_dim + i;
    bf16* dst;
    if (head < p.num_heads) {
      dst = static_cast<bf16*>(p.q) + token * int64_t(p.num_heads) * p.head_dim + int64_t(head) * p.head_dim + i;
    } else {
      if (!slot_ok) continue;
      const bool is_k = head < p.num_heads + p.num_kv_heads;
      const int kv_head = is_k ? head - p.num_heads : head - p.num_heads - p.num_kv_heads;
      bf16* cache = static_cast<bf16*>(is_k ? p.k_cache : p.v_cache);
      dst = cache + int64_t(slot) * kv_cols + int64_t(kv_head) * p.head_dim + i;
      if (!is_k) {
        dst[0] = src[0];
        dst[step] = src[step];
        continue;
      }
    }
    if (!norm && !rotate) {  // a pass-through pair of q or k: copied bit for bit
      dst[0] = src[0];
      dst[step] = src[step];
      continue;
    }
    float a = __bfloat162float(src[0]), b = __bfloat162float(src[step]);
    if (norm) {
      const bool is_q = head < p.num_heads;
      const float scale = head_scale[head];
      a *= scale * norm_weight(is_q, i);
      b *= scale * norm_weight(is_q, i + step);
    }
    if (rotate) {
      const float c = cs[i], s = cs[rot_half + i];
      dst[0] = __float2bfloat16_rn(a * c - b * s);
      dst[step] = __float2bfloat16_rn(b * c + a * s);
    } else {
      dst[0] = __float2bfloat16_rn(a);
      dst[step] = __float2bfloat16_rn(b);
    }
  }
}

}  // namespace

void launch_qkv_rope_write_kv(const QkvRopeParams& p, DeviceErrorSink errors, cudaStream_t stream) {
  if (p.tokens == 0) return;
  if (p.head_dim <= 0 || p.head_dim % 2 != 0) TURBINE_LAUNCHER_REJECT("qkv_rope_write_kv", "head_dim");
  if (p.rotary_dim <= 0 || p.rotary_dim % 2 != 0 || p.rotary_dim > p.head_dim)
    TURBINE_LAUNCHER_REJECT("qkv_rope_write_kv", "rotary_dim");
  const int64_t pairs = int64_t(p.num_heads + 2 * p.num_kv_heads) * (p.head_dim / 2);
  const int threads = int(std::clamp<int64_t>((pairs + 31) / 32 * 32, 32, 512));
  const size_t smem = p.q_norm != nullptr ? size_t(p.num_heads + p.num_kv_heads) * sizeof(float) : 0;
  qkv_rope_write_kv_kernel<<<unsigned(p.tokens), threads, smem, stream>>>(p, errors);
  TURBINE_CUDA_CHECK_LAUNCH();
}

}  // namespace turbine::cuda
