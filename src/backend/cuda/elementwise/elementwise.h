// Elementwise BF16 ops on contiguous [m, n] tensors, seen as flat arrays of `count` elements.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace turbine::cuda {

// out = silu(gate) * up, computed in F32 and rounded once. out may alias gate or up.
void launch_silu_mul(const void* gate, const void* up, void* out, int64_t count, cudaStream_t stream);

// x = gelu(x) in place, the exact (erf) form, BF16, computed in F32 and rounded once.
void launch_gelu(void* x, int64_t count, cudaStream_t stream);

// out[r, :] = silu(gate_up[r, :n]) * gate_up[r, n:], gate_up [rows, 2n], out [rows, n]; out may
// not overlap gate_up.
void launch_silu_mul_fused(const void* gate_up, void* out, int64_t rows, int64_t n, cudaStream_t stream);

// x += y, computed in F32 and rounded once.
void launch_add(void* x, const void* y, int64_t count, cudaStream_t stream);

// out = gelu_tanh(gate) * up (backend.h), computed in F32 and rounded once. out may alias gate or up.
void launch_gelu_tanh_mul(const void* gate, const void* up, void* out, int64_t count, cudaStream_t stream);

// out[r, :] = gelu_tanh(gate_up[r, :n]) * gate_up[r, n:], gate_up [rows, 2n], out [rows, n]; out
// may not overlap gate_up.
void launch_gelu_tanh_mul_fused(const void* gate_up, void* out, int64_t rows, int64_t n, cudaStream_t stream);

// x *= s in place; x is BF16 (`f32` false) or F32, computed in F32 and rounded once.
void launch_scale(void* x, bool f32, float s, int64_t count, cudaStream_t stream);

// x = cap * tanh(x / cap) in place, cap > 0; x is BF16 (`f32` false) or F32 (the logits).
void launch_softcap(void* x, bool f32, float cap, int64_t count, cudaStream_t stream);

}  // namespace turbine::cuda
