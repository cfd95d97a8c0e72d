#!/usr/bin/env bash
# Runs the GEMV kernel's checks and benchmark on the GPU machine (the device tool), from binaries
# built on a machine without a GPU and carried over in their own folder (.carry/gemv, git-ignored):
#
#   here:  ninja -C BUILD_DIR cuda_conformance_test bench_gemv
#          bench/cuda/run_gemv.sh --stage BUILD_DIR     (copies both binaries + libfmt/libspdlog)
#   there: bench/cuda/run_gemv.sh                       (device tool: carry [".carry"])
#
# There: the linear tests (GEMV ones and the rest) and compute-sanitizer memcheck of the GEMV
# awkward-size test, in parallel processes (nothing is timed then), and then the benchmark alone.
# Logs go to $OUT (or /tmp); the benchmark's table and a test summary are printed last.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
carry=$repo/.carry/gemv
if [ "${1:-}" = "--stage" ]; then
  build=${2:?build dir}
  rm -rf "$carry"
  mkdir -p "$carry/lib"
  cp "$build/tests/kernels_cuda/cuda_conformance_test" "$build/bench/cuda/bench_gemv" "$carry/"
  for lib in $(ldd "$carry/cuda_conformance_test" "$carry/bench_gemv" | awk '/libfmt|libspdlog/ {print $3}' | sort -u); do
    cp -L "$lib" "$carry/lib/"
  done
  ls -la "$carry" "$carry/lib"
  exit 0
fi

out=${OUT:-/tmp}
# libcublasLt.so.13 comes from the machine's toolkit (or PyTorch's wheel as a fallback).
export LD_LIBRARY_PATH="$carry/lib:/usr/local/cuda/lib64:$(ls -d /opt/torch/.venv/lib/python3*/site-packages/nvidia/cu*/lib 2>/dev/null | tr '\n' ':')${LD_LIBRARY_PATH:-}"
export PATH="$PATH:/usr/local/cuda/bin"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv,noheader
bin=$carry/cuda_conformance_test
tests_seconds=${GEMV_TEST_SECONDS:-90}

start=$(date +%s)
timeout "$tests_seconds" "$bin" --gtest_filter='CudaLinear.Gemv*' > "$out/test_gemv.txt" 2>&1 &
p1=$!
timeout "$tests_seconds" "$bin" --gtest_filter='CudaLinear*:-CudaLinear.Gemv*' > "$out/test_linear.txt" 2>&1 &
p2=$!
p3=
if command -v compute-sanitizer > /dev/null; then
  timeout "$tests_seconds" compute-sanitizer --tool memcheck --leak-check no --error-exitcode 9 "$bin" \
    --gtest_filter='CudaLinear.GemvAwkwardSizesMatchReference' > "$out/memcheck.txt" 2>&1 &
  p3=$!
fi
wait $p1; r1=$?
wait $p2; r2=$?
r3=none
if [ -n "$p3" ]; then wait $p3; r3=$?; fi
echo "tests done in $(( $(date +%s) - start )) s" > "$out/summary.txt"

start=$(date +%s)
timeout "${GEMV_BENCH_SECONDS:-80}" "$carry/bench_gemv" "${GEMV_BENCH_REPS:-7}" > "$out/bench.txt" 2>&1
rb=$?
echo "bench rc=$rb in $(( $(date +%s) - start )) s" >> "$out/summary.txt"

echo "=== benchmark (sweep in bench.txt)"
sed -n '/^NVIDIA\|^[A-Z].*D2D copy .* GEMV = /,$p' "$out/bench.txt" | tail -40
grep -q "GEMV = " "$out/bench.txt" || tail -30 "$out/bench.txt"
echo "=== tests"
echo "gemv tests rc=$r1; other linear tests rc=$r2; memcheck rc=$r3 (9 = errors found, 124 = time cap)"
for f in test_gemv test_linear; do
  grep -E "^\[  (PASSED|FAILED|SKIPPED) \]|tests ran" "$out/$f.txt" | head -12
done
grep -E "ERROR SUMMARY|Invalid|out of bounds" "$out/memcheck.txt" 2>/dev/null | head -5
echo "worst gemv checks (err/bound over all configs):"
grep "gemv configs" "$out/test_gemv.txt" | sed 's/.*max err\/bound=//' | sort -g -r | head -1
grep -h "^\[ stats" "$out/test_gemv.txt" "$out/test_linear.txt" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^err\/bound=/) {split($i, a, "="); print a[2], $0}}' | sort -g -r | head -4 | cut -d' ' -f2-
grep -h -A3 "Failure\|FAILED  *\]" "$out/test_gemv.txt" "$out/test_linear.txt" | head -30
cat "$out/summary.txt"
