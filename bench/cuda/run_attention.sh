#!/usr/bin/env bash
# Runs paged attention's checks and benchmarks on the GPU machine (the device tool), from binaries
# built on a machine without a GPU and carried over in their own folder (.carry/attn, git-ignored, as one archive):
#
#   here:  ninja -C BUILD_DIR cuda_conformance_test bench_cuda_ops
#          bench/cuda/run_attention.sh --stage BUILD_DIR   (copies both binaries + libfmt/libspdlog)
#   there: bench/cuda/run_attention.sh [TOTAL_SECONDS]     (device tool: carry [".carry/attn"])
#
# There: the attention conformance tests (CudaAttention*), the attention benchmark
# (bench_cuda_ops 20 attention), PyTorch's SDPA at the same shapes (sdpa_baseline.py), then
# compute-sanitizer memcheck of the smaller attention tests in the time left. Logs go to $OUT (or
# /tmp); the tables and a test summary are printed last.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
carry=$repo/.carry/attn
if [ "${1:-}" = "--stage" ]; then
  # One stripped, xz-compressed archive (under 1 MB): the working tree that travels is capped.
  build=${2:?build dir}
  rm -rf "$carry" && mkdir -p "$carry/stage/lib"
  cp "$build/tests/kernels_cuda/cuda_conformance_test" "$build/bench/cuda/bench_cuda_ops" "$carry/stage/"
  for lib in $(ldd "$carry/stage/cuda_conformance_test" "$carry/stage/bench_cuda_ops" | awk '/libfmt|libspdlog/ {print $3}' | sort -u); do
    cp -L "$lib" "$carry/stage/lib/"
  done
  strip "$carry/stage/cuda_conformance_test" "$carry/stage/bench_cuda_ops"
  tar -cJf "$carry/bin.tar.xz" -C "$carry/stage" . && rm -rf "$carry/stage"
  ls -la "$carry"
  exit 0
fi
mkdir -p /tmp/attn && tar -xJf "$carry/bin.tar.xz" -C /tmp/attn || exit 1
carry=/tmp/attn

deadline=$(( $(date +%s) + ${1:-230} ))
out=${OUT:-/tmp}
export LD_LIBRARY_PATH="$carry/lib:/usr/local/cuda/lib64:$(ls -d /opt/torch/.venv/lib/python3*/site-packages/nvidia/cu*/lib 2>/dev/null | tr '\n' ':')${LD_LIBRARY_PATH:-}"
export PATH="$PATH:/usr/local/cuda/bin"
left() { echo $(( deadline - $(date +%s) )); }
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv,noheader | tee "$out/summary.txt"

start=$(date +%s)
timeout $(( $(left) - 100 )) "$carry/cuda_conformance_test" --gtest_filter="${ATTN_FILTER:-CudaAttention*}" \
  > "$out/tests.txt" 2>&1
echo "attention tests: rc=$? in $(( $(date +%s) - start )) s" | tee -a "$out/summary.txt"

timeout $(( $(left) - 60 )) "$carry/bench_cuda_ops" 20 attention > "$out/bench.txt" 2>&1
echo "bench_cuda_ops: rc=$?" | tee -a "$out/summary.txt"
PYTHONUNBUFFERED=1 timeout $(( $(left) - 25 )) python3 "$repo/bench/cuda/sdpa_baseline.py" > "$out/sdpa.txt" 2>&1
echo "sdpa_baseline: rc=$?" | tee -a "$out/summary.txt"

if command -v compute-sanitizer > /dev/null && [ "$(left)" -gt 25 ]; then
  start=$(date +%s)
  timeout $(( $(left) - 5 )) compute-sanitizer --tool memcheck --leak-check no --error-exitcode 9 \
    "$carry/cuda_conformance_test" \
    --gtest_filter='CudaAttention.EmptySequencesInTheBatch:CudaAttention.BlockSizes:CudaAttention.UnalignedQueryFallsBack:CudaAttention.GqaPackingShortQueries:CudaAttention.OtherShapes' \
    > "$out/memcheck.txt" 2>&1
  echo "memcheck: rc=$? in $(( $(date +%s) - start )) s (9 = errors found, 124 = time cap)" | tee -a "$out/summary.txt"
  grep -E "ERROR SUMMARY|Invalid|out of bounds|^\[  (PASSED|FAILED)" "$out/memcheck.txt" | head -8 | tee -a "$out/summary.txt"
fi

echo "=== tests"
grep -E "^\[  (PASSED|FAILED|SKIPPED) \]|tests ran|Failure|FAILED  " "$out/tests.txt" | head -30
echo "worst checks (err/bound):"
grep "^\[ stats" "$out/tests.txt" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^err\/bound=/) {split($i, a, "="); print a[2], $0}}' \
  | sort -g -r | head -5 | cut -d' ' -f2-
echo "=== bench (Turbine)"
grep -A20 "^attention" "$out/bench.txt"
echo "=== sdpa"
cat "$out/sdpa.txt" | tail -14
echo "=== summary"
cat "$out/summary.txt"
