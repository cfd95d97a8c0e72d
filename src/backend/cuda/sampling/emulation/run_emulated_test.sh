#!/usr/bin/env bash
# Builds tests/kernels_cuda/cuda_sampling_test.cc against the host emulation of the GPU sampler,
# the token-bitmask kernel and SamplingStage (no GPU, no nvcc) and runs it.
# Usage: run_emulated_test.sh [OUT_DIR] [gtest args...]
# Env: TS_EMU_THREADS (block size, default 64), TS_TEST_SMALL=1 (fewer rows for large vocabularies).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../../../.." && pwd)
out=${1:-/tmp/ts_emu}; shift || true
mkdir -p "$out"
cd "$repo"
srcs=(tests/kernels_cuda/cuda_sampling_test.cc src/backend/cuda/sampling/emulation/emulated_sampler.cc
      src/backend/cuda/sampling/sampling_stage.cc src/runner/sampler.cc src/runner/logit_transforms.cc
      src/engine/sampling_params.cc src/runner/random_generator.cc src/common/error.cc)
objs=()
for s in "${srcs[@]}"; do
  o="$out/$(echo "$s" | tr / _).o"
  stale=0
  [ -f "$o" ] || stale=1
  for dep in "$s" src/backend/cuda/sampling/*.h src/backend/cuda/sampling/*.cuh src/backend/device_sampling.h \
             src/backend/token_bitmask.h src/backend/cuda/sampling/emulation/*.h; do
    if [ "$dep" -nt "$o" ]; then stale=1; fi
  done
  if [ "$stale" = 1 ]; then
    g++ -std=c++20 -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-unknown-pragmas -pthread \
        -I src/backend/cuda/sampling/emulation -I src -I include -c "$s" -o "$o"
  fi
  objs+=("$o")
done
g++ -pthread "${objs[@]}" -lgtest -lgtest_main -lfmt -o "$out/cuda_sampling_test_emulated"
"$out/cuda_sampling_test_emulated" "$@"
