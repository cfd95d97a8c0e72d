// Rotary embedding (Hugging Face rotate-half), in place.
//
// One block per token: the token's cos/sin row (rotary_dim F32) is shared by all its heads, so it
// is read from L1 after the first head. Each thread owns one (head, i) pair with i < rotary_dim / 2
// and rewrites both x[i] and x[i + rotary_dim / 2] of that head, so there are no races and no
// barriers; with partial rotary the elements past rotary_dim are neither read nor written;
// consecutive threads take consecutive i, so the BF16 loads and stores coalesce. The rotation is
// done in F32 and rounded once. This op is small next to the GEMMs around it; the plan is to fuse
// it into the K/V cache write (and the q/k norms) rather than to tune it alone.
#include <algorithm>

#include "backend/cuda/common/bf16_io.cuh"
#include "backend/cuda/common/cuda_check.h"
#include "backend/cuda/rope/rope.h"

namespace turbine::cuda {
namespace {

__global__ void rope_kernel(RopeParams p) {
  const int64_t token = blockIdx.x;
  const int half = p.rotary_dim / 2;
  const int64_t pairs = p.cols / p.head_dim * half;
  bf16* x = static_cast<bf16*>(p.x) + token * p.cols;
  const float* cs = p.cos_sin + token * p.rotary_dim;
  for (int64_t pi = threadIdx.x; pi < pairs; pi += blockDim.x) {
    const int64_t head = pi / half;
    const int i = int(pi - head * half);
    bf16* x1 = x + head * p.head_dim + i;
    bf16* x2 = x1 + half;
    const float a = __bfloat162float(*x1), b = __bfloat162float(*x2);
    const float c = cs[i], s = cs[half + i];
    *x1 = __float2bfloat16_rn(a * c - b * s);
    *x2 = __float2bfloat16_rn(b * c + a * s);
  }
}

}  // namespace

void launch_rope(const RopeParams& p, cudaStream_t stream) {
  if (p.tokens == 0 || p.cols == 0) return;
  if (p.head_dim <= 0 || p.rotary_dim <= 0 || p.rotary_dim % 2 != 0 || p.rotary_dim > p.head_dim)
    TURBINE_LAUNCHER_REJECT("rope", "rotary_dim");
  const int64_t pairs = p.cols / p.head_dim * (p.rotary_dim / 2);
  const int threads = int(std::clamp<int64_t>((pairs + 31) / 32 * 32, 32, 512));
  rope_kernel<<<unsigned(p.tokens), threads, 0, stream>>>(p);
  TURBINE_CUDA_CHECK_LAUNCH();
}

}  // namespace turbine::cuda
