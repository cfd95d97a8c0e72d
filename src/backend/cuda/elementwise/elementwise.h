// Elementwise BF16 ops on contiguous [m, n] tensors, seen as flat arrays of `count` elements.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace turbine::cuda {

// out = silu(gate) * up, computed in F32 and rounded once. out may alias gate or up.
void launch_silu_mul(const void* gate, const void* up, void* out, int64_t count, cudaStream_t stream);

// out[r, :] = silu(gate_up[r, :n]) * gate_up[r, n:], gate_up [rows, 2n], out [rows, n]; out may
// not overlap gate_up.
void launch_silu_mul_fused(const void* gate_up, void* out, int64_t rows, int64_t n, cudaStream_t stream);

// x += y, computed in F32 and rounded once.
void launch_add(void* x, const void* y, int64_t count, cudaStream_t stream);

}  // namespace turbine::cuda
