#!/usr/bin/env bash
# Runs the CUDA conformance test on the GPU machine (the device tool), from a binary built on a
# machine without a GPU and carried over:
#
#   here:  cmake ... -DTURBINE_CUDA=ON && ninja cuda_conformance_test
#          tests/kernels_cuda/run_conformance.sh --stage BUILD_DIR   (copies the binary + libfmt to .carry/cuda)
#   there: tests/kernels_cuda/run_conformance.sh [TOTAL_SECONDS]   (default 190)
#
# There it runs the whole binary once; if that fails or crashes (an abort kills the rest of the
# binary), it runs every test alone so one abort cannot hide the others; then it runs the
# micro-benchmark (bench/cuda) when it was staged, and the non-cuBLAS tests under compute-sanitizer
# memcheck for out-of-bounds accesses, in the time left.
# Logs go to $OUT (or /tmp) and a summary is printed last.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
carry=$repo/.carry/cuda
if [ "${1:-}" = "--stage" ]; then
  build=${2:?build dir}
  mkdir -p "$carry/lib"
  cp "$build/tests/kernels_cuda/cuda_conformance_test" "$carry/"
  if [ -x "$build/bench/cuda/bench_cuda_ops" ]; then cp "$build/bench/cuda/bench_cuda_ops" "$carry/"; fi
  for lib in $(ldd "$carry/cuda_conformance_test" | awk '/libfmt|libspdlog/ {print $3}'); do cp -L "$lib" "$carry/lib/"; done
  ls -la "$carry" "$carry/lib"
  exit 0
fi

deadline=$(( $(date +%s) + ${1:-190} ))
out=${OUT:-/tmp}
bin=$carry/cuda_conformance_test
# libcublasLt.so.13 comes from the machine's toolkit (or PyTorch's wheel as a fallback).
export LD_LIBRARY_PATH="$carry/lib:/usr/local/cuda/lib64:$(ls -d /opt/torch/.venv/lib/python3*/site-packages/nvidia/cu*/lib 2>/dev/null | tr '\n' ':')${LD_LIBRARY_PATH:-}"
export PATH="$PATH:/usr/local/cuda/bin"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
ldd "$bin" | grep -E "not found|cublas" || true

start=$(date +%s)
timeout $(( deadline - $(date +%s) - 30 )) "$bin" 2>&1 | tee "$out/conformance.txt"
rc=${PIPESTATUS[0]}
echo "whole binary: rc=$rc in $(( $(date +%s) - start )) s" | tee -a "$out/summary.txt"

if [ "$rc" -ne 0 ]; then
  for t in $("$bin" --gtest_list_tests | awk '/^[^ ]/ {suite=$1} /^  / {print suite $1}'); do
    left=$(( deadline - $(date +%s) ))
    if [ "$left" -lt 10 ]; then echo "  (out of time before $t)" | tee -a "$out/summary.txt"; break; fi
    timeout "$left" "$bin" --gtest_filter="$t" > "$out/one_test.txt" 2>&1
    r=$?
    cat "$out/one_test.txt" >> "$out/per_test.txt"
    echo "  $t: rc=$r $(grep -c FAILED "$out/one_test.txt") FAILED-lines" | tee -a "$out/summary.txt"
  done
fi

if [ -x "$carry/bench_cuda_ops" ]; then
  timeout $(( deadline - $(date +%s) - 40 )) "$carry/bench_cuda_ops" 2>&1 | tee "$out/bench.txt"
fi

memcheck_seconds=$(( deadline - $(date +%s) - 5 ))
if command -v compute-sanitizer > /dev/null && [ "$memcheck_seconds" -gt 20 ]; then
  start=$(date +%s)
  timeout "$memcheck_seconds" compute-sanitizer --tool memcheck --leak-check no --error-exitcode 9 "$bin" \
    --gtest_filter='CudaAttention.OtherShapes:CudaAttention.EmptySequencesInTheBatch:CudaNorm.*:CudaElementwise.*:CudaGather.*:CudaRope.*:Dtypes/*:CudaWriteKv.*:CudaAttention.PrefillBatches:CudaAttention.MixedBatchSweep' \
    > "$out/memcheck.txt" 2>&1
  echo "memcheck: rc=$? in $(( $(date +%s) - start )) s (9 = errors found, 124 = time cap)" | tee -a "$out/summary.txt"
  grep -E "ERROR SUMMARY|Invalid|out of bounds" "$out/memcheck.txt" | head -20 | tee -a "$out/summary.txt"
fi

echo "=== summary"
grep -E "^\[  (PASSED|FAILED|SKIPPED) \]|tests ran" "$out/conformance.txt" | head -40
echo "worst checks (err/bound):"
grep "^\[ stats" "$out/conformance.txt" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^err\/bound=/) {split($i, a, "="); print a[2], $0}}' \
  | sort -g -r | head -12 | cut -d' ' -f2-
cat "$out/summary.txt"
