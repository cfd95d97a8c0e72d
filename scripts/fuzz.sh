#!/usr/bin/env bash
# Builds every libFuzzer target with clang (ASan + UBSan) into build-fuzz/ and runs each one for
# SECONDS (default 60) on a working copy of its committed seed corpus.
#
#   scripts/fuzz.sh [SECONDS] [TARGET ...]     e.g. scripts/fuzz.sh 30 safetensors_header_fuzz
#
# Targets come from build-fuzz/fuzz_targets.txt, which tests/fuzz/CMakeLists.txt writes (one
# turbine_add_fuzz_target call per target), so a new target needs no change here. Inputs the
# fuzzer finds go to build-fuzz/corpus/<target>/ (kept between runs, never into the source
# tree); a crashing input goes to build-fuzz/artifacts/<target>/. To keep an interesting input
# as a regression seed, copy it into tests/fuzz/corpus/<corpus>/.
# Exits non-zero if any target crashes, leaks, times out or runs out of memory.
# Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_JOBS (build parallelism, default 2).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [SECONDS] [TARGET ...]" >&2
  exit 2
fi
build_dir="${FUZZ_BUILD_DIR:-build-fuzz}"
jobs="${FUZZ_JOBS:-2}"

# Instrument every library for coverage and sanitizers; only the fuzz executables link libFuzzer.
sanitize="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS="$sanitize" -DCMAKE_CXX_FLAGS="$sanitize" \
  -DTURBINE_FUZZ=ON -DTURBINE_TESTS=ON -DTURBINE_BENCH=OFF >/dev/null
cmake --build "$build_dir" --target turbine_fuzz_targets -j "$jobs"

manifest="$build_dir/fuzz_targets.txt"
[ -s "$manifest" ] || { echo "fuzz: no targets listed in $manifest" >&2; exit 1; }

failed=()
ran=0
while IFS=$'\t' read -r name executable corpus dict; do
  if (($# > 0)) && [[ " $* " != *" $name "* ]]; then continue; fi
  work_corpus="$build_dir/corpus/$name"
  artifacts="$build_dir/artifacts/$name"
  mkdir -p "$work_corpus" "$artifacts"
  cp -n "$corpus"/* "$work_corpus"/ 2>/dev/null || true
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536
        -print_final_stats=1 -artifact_prefix="$artifacts/")
  [ "$dict" != "-" ] && args+=(-dict="$dict")
  echo "fuzz: $name for ${seconds}s (corpus $work_corpus)"
  ran=$((ran + 1))
  if ! "$executable" "${args[@]}" "$work_corpus" 2>"$build_dir/$name.log"; then
    tail -n 40 "$build_dir/$name.log" >&2
    failed+=("$name")
  else
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+.*DONE)" \
      "$build_dir/$name.log" || true
  fi
done <"$manifest"

((ran > 0)) || { echo "fuzz: no target matched: $*" >&2; exit 2; }
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $build_dir/artifacts/, logs in $build_dir/*.log)" >&2
  exit 1
fi
echo "fuzz: all $ran target(s) ran ${seconds}s without a failure"
