#!/usr/bin/env bash
# Runs every test: sets up and builds (scripts/setup.sh), fetches the tokenizer fixtures, runs the
# whole ctest suite, then fuzzes the parsers briefly. CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
tests/tokenizer/fetch_tokenizers.sh
ctest --test-dir "${TURBINE_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)"
scripts/fuzz.sh "${TURBINE_FUZZ_SECONDS:-30}"
