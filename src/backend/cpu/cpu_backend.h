// The CPU backend: every Backend op on host memory, with SIMD kernels picked once at
// construction from the CPU's features (AVX-512 with or without AVX512_BF16, AVX2, or portable
// scalar code) and a persistent thread pool owned by the backend.
//
// Activations and the KV cache are F32; weights are F32, BF16 or F16, read in place (linear
// layers: the dense weight formats, the kernel table in cpu_backend.cc). The backend
// keeps scratch memory between ops, so one backend runs one op at a time (like a GPU stream):
// use one backend per thread that issues ops.
#pragma once

#include <memory>
#include <optional>

#include "backend/backend.h"
#include "common/cpu_features.h"

namespace turbine {

struct CpuBackendOptions {
  // Threads including the caller; <= 0 means one per physical core.
  int num_threads = 0;
  // Kernel level; unset means select_cpu_isa() (the best the CPU has, lowered by TURBINE_CPU_ISA).
  // A level the CPU lacks is a turbine::Error.
  std::optional<CpuIsa> isa;
  // At kAvx512 on a CPU with AVX512_BF16, let BF16 weights use vdpbf16ps, with x split into two
  // bf16 halves (x = hi + lo) so the result keeps f32-level accuracy. Off by default: the split
  // needs two vdpbf16ps per pair of products, as many instructions as f32 FMAs on widened
  // weights, and on Zen 4 vdpbf16ps has half the FMA's throughput (bench_cpu_linear prefill:
  // ~60 vs ~90 GFLOP/s per core). Kept for CPUs where that balance differs.
  bool use_avx512_bf16 = false;
};

std::unique_ptr<Backend> make_cpu_backend(int num_threads = 0);
std::unique_ptr<Backend> make_cpu_backend(const CpuBackendOptions& options);

}  // namespace turbine
