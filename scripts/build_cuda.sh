#!/usr/bin/env bash
# Compiles the CUDA backend, its tests and the CUDA-enabled turbine binary (no GPU needed: nvcc
# is all it takes; the GPU machine runs what this builds). scripts/test.sh calls it, so CI
# compiles every kernel for every target architecture even though it cannot run them.
#
#   scripts/build_cuda.sh [BUILD_DIR]     default build-cuda; TURBINE_CUDA_ARCHS="90a;80;89" by default
#
# Skipped, with a note, when no nvcc is found (a machine without the CUDA toolkit still tests the
# CPU build); TURBINE_REQUIRE_CUDA=1 makes that an error.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build-cuda}
nvcc=${CUDACXX:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
if [ ! -x "$nvcc" ]; then
  if [ "${TURBINE_REQUIRE_CUDA:-0}" = 1 ]; then echo "build_cuda: no nvcc found" >&2; exit 1; fi
  echo "build_cuda: no nvcc found; the CUDA backend is not compiled"
  exit 0
fi
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
archs=${TURBINE_CUDA_ARCHS:-90a;80;89}
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTURBINE_CUDA=ON \
    -DCMAKE_CUDA_COMPILER="$nvcc" "-DTURBINE_CUDA_ARCHS=$archs"
fi
# The kernels and what runs them on the GPU machine: the conformance test, the engine and golden
# tests with TURBINE_TEST_DEVICE=cuda, the turbine binary, the kernel benchmarks.
targets=(turbine_backend_cuda cuda_conformance_test golden_test engine_integration_test engine_structured_test
         model_families_test turbine)
if [ "${TURBINE_CUDA_BENCH:-0}" = 1 ]; then targets+=(bench_cuda_ops bench_gemv bench_sampling); fi
cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]}"
echo "build_cuda: compiled ${targets[*]} for $archs in $build_dir"
