#!/usr/bin/env bash
# The GPU tests in one device call, from binaries built here (scripts/build_cuda.sh) and carried
# over as one compressed archive (the working tree may carry at most 64 MiB, the demo models
# already take most of it):
#
#   here:  tests/gpu/run_gpu_tests.sh --stage BUILD_DIR [TOKENIZER_DIR]
#            writes .carry/gpu.tar.xz: turbine, cuda_conformance_test, golden_test,
#            engine_integration_test, engine_structured_test and model_families_test (stripped), their libfmt/libspdlog, stories260K and the
#            Llama 3.1 tokenizer (for bench/gpu_report.sh)
#   there: tests/gpu/run_gpu_tests.sh [--unpack-only] [SECONDS]   (carry [".carry"])
#            unpacks to /tmp/turbine-gpu (the layout bench/gpu_report.sh takes as BUILD_DIR) and
#            runs the conformance test (each test alone if the binary aborts), then the engine,
#            structured-output, model-family and golden tests with TURBINE_TEST_DEVICE=cuda, and with TURBINE_GPU_MEMCHECK=1 our kernels'
#            conformance tests under compute-sanitizer memcheck, within SECONDS (default 240); logs
#            to $OUT, a summary last.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
archive=$repo/.carry/gpu.tar.xz
dir=/tmp/turbine-gpu

if [ "${1:-}" = "--stage" ]; then
  build=${2:?usage: tests/gpu/run_gpu_tests.sh --stage BUILD_DIR [TOKENIZER_DIR]}
  tokenizer=${3:-$repo/tests/fixtures/downloaded/llama3_1}
  set -e  # a file missing from the archive must stop the staging, not surface on the GPU machine
  [ -f "$tokenizer/tokenizer.json" ] || { echo "no tokenizer at $tokenizer (run tests/tokenizer/fetch_tokenizers.sh)" >&2; exit 1; }
  stage=$(mktemp -d)
  mkdir -p "$stage/lib" "$stage/tokenizer" "$stage/shared/models" "$repo/.carry"
  strip -o "$stage/turbine" "$build/turbine"
  strip -o "$stage/cuda_conformance_test" "$build/tests/kernels_cuda/cuda_conformance_test"
  strip -o "$stage/golden_test" "$build/tests/golden/golden_test"
  strip -o "$stage/engine_integration_test" "$build/tests/engine/engine_integration_test"
  strip -o "$stage/engine_structured_test" "$build/tests/engine/engine_structured_test"
  strip -o "$stage/model_families_test" "$build/tests/unit/model/model_families_test"
  for lib in $(ldd "$build/turbine" | awk '/libfmt|libspdlog/ {print $3}'); do cp -L "$lib" "$stage/lib/"; done
  cp -r "$repo/../shared/models/stories260K" "$stage/shared/models/"
  cp "$tokenizer/tokenizer.json" "$stage/tokenizer/"
  [ -f "$tokenizer/tokenizer_config.json" ] && cp "$tokenizer/tokenizer_config.json" "$stage/tokenizer/"
  # -9e: its 64 MiB window spans the test binaries, which share most of their code (8.8 MB at -6, 5.8 here).
  tar -C "$stage" -cf - . | xz -T0 -9e > "$archive"
  rm -rf "$stage"
  ls -la "$archive"
  echo "now: run tests/gpu/run_gpu_tests.sh with carry [\".carry\"]"
  exit 0
fi

unpack_only=0
if [ "${1:-}" = "--unpack-only" ]; then unpack_only=1; shift; fi
deadline=$(( $(date +%s) + ${1:-240} ))
out=${OUT:-/tmp}
rm -rf "$dir" && mkdir -p "$dir" && xz -dc "$archive" | tar -C "$dir" -xf - || exit 1
# The tests look for the checkout and ../shared where they were built (/work/main, /work/shared).
mkdir -p /work
[ -e /work/main ] || ln -s "$repo" /work/main
[ -e /work/shared ] || ln -s "$dir/shared" /work/shared
export LD_LIBRARY_PATH="$dir/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
[ "$unpack_only" = 1 ] && exit 0
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu_tests.txt"

run() {  # run NAME CMD...: under the time left, output to $OUT/NAME.log, one summary line
  local name=$1 left rc
  shift
  left=$(( deadline - $(date +%s) ))
  if [ "$left" -lt 10 ]; then echo "$name: skipped, out of time" | tee -a "$out/gpu_tests.txt"; return; fi
  timeout "$left" "$@" > "$out/$name.log" 2>&1
  rc=$?
  echo "$name: rc=$rc, $(grep -E '^\[  PASSED  \]|^\[  FAILED  \]' "$out/$name.log" | tr '\n' ' ')" | tee -a "$out/gpu_tests.txt"
  grep -E '^\[  FAILED  \]|Failure|internal check' "$out/$name.log" | head -20
}
run conformance "$dir/cuda_conformance_test"
# An abort (a failed check) ends the whole binary: then every test runs alone, so that one abort
# cannot hide the others.
if ! grep -q '^\[  PASSED  \]' "$out/conformance.log" || grep -q '^\[  FAILED  \]' "$out/conformance.log"; then
  for t in $("$dir/cuda_conformance_test" --gtest_list_tests | awk '/^[^ ]/ {suite=$1} /^  / {print suite $1}'); do
    left=$(( deadline - $(date +%s) ))
    if [ "$left" -lt 10 ]; then echo "  (out of time before $t)" | tee -a "$out/gpu_tests.txt"; break; fi
    timeout "$left" "$dir/cuda_conformance_test" --gtest_filter="$t" >> "$out/conformance_one_by_one.log" 2>&1
    echo "  $t: rc=$?" | tee -a "$out/gpu_tests.txt"
  done
fi
run engine_cuda env TURBINE_TEST_DEVICE=cuda "$dir/engine_integration_test"
run structured_cuda env TURBINE_TEST_DEVICE=cuda "$dir/engine_structured_test"
# Every model family's forward on the GPU against its double-precision reference (BF16 tolerance).
run families_cuda env TURBINE_TEST_DEVICE=cuda "$dir/model_families_test"
run golden_cuda env TURBINE_TEST_DEVICE=cuda "$dir/golden_test"
# With TURBINE_GPU_MEMCHECK=1, the conformance tests that do not go through cuBLAS (its kernels
# are not ours, and slow under the tool) also run under compute-sanitizer memcheck, in the time
# left: out-of-bounds and misaligned accesses of our kernels.
memcheck_seconds=$(( deadline - $(date +%s) - 5 ))
if [ "${TURBINE_GPU_MEMCHECK:-0}" = 1 ]; then
  sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  if [ -x "$sanitizer" ] && [ "$memcheck_seconds" -gt 20 ]; then
    timeout "$memcheck_seconds" "$sanitizer" --tool memcheck --leak-check no --error-exitcode 9 \
      "$dir/cuda_conformance_test" --gtest_filter='CudaAttention.OtherShapes:CudaAttention.EmptySequencesInTheBatch:CudaNorm.*:CudaElementwise.*:CudaGather.*:CudaRope.*:Dtypes/*:CudaWriteKv.*:CudaAttention.PrefillBatches:CudaAttention.MixedBatchSweep' \
      > "$out/memcheck.log" 2>&1
    echo "memcheck: rc=$? (9: errors found, 124: out of time)" | tee -a "$out/gpu_tests.txt"
    grep -E "ERROR SUMMARY|Invalid|out of bounds" "$out/memcheck.log" | head -20
  else
    echo "memcheck: skipped (no compute-sanitizer, or $memcheck_seconds s left)" | tee -a "$out/gpu_tests.txt"
  fi
fi
