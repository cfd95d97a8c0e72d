#!/usr/bin/env bash
# Runs every test: sets up and builds (scripts/setup.sh), fetches the tokenizer fixtures, runs the
# whole ctest suite, compiles the CUDA backend and its GPU tests (scripts/build_cuda.sh: they run
# on the GPU machine, but every kernel must compile here), then fuzzes the parsers briefly.
# CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
tests/tokenizer/fetch_tokenizers.sh
build_dir=${TURBINE_BUILD_DIR:-build}
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)"
scripts/build_cuda.sh
scripts/fuzz.sh "${TURBINE_FUZZ_SECONDS:-30}"
# Reached only when everything above passed (set -e): one summary line for CI.
echo "tests: $(ctest --test-dir "$build_dir" -N | sed -n 's/^Total Tests: //p') passed, 0 failed"
