#!/usr/bin/env bash
# The whole JSON Schema corpus (tests/fixtures/json_schemas, issue 18), which ctest only samples:
# the corpus test over every schema with each vocabulary (compile, refusals by reason, random
# constrained outputs validated by ajv; a compile or a walk over 10 s of CPU time fails), then
# bench_structured (compile, fill_mask and accept_token times). Build Release first
# (scripts/setup.sh).
#
#   bench/structured_corpus.sh [BUILD_DIR]        (default build/)
#   TURBINE_BENCH_TOKENIZERS="llama3_1 qwen2_5"   vocabularies (tests/fixtures/downloaded/<name>)
#   TURBINE_BENCH_PREFIX="chrt -f 10"             runs the benchmark under it (less noise)
#   TURBINE_BENCH_JSON=FILE                       bench_structured's full report (per schema)
#   TURBINE_CORPUS_ARGS="--samples 10"            more run_corpus.mjs options
#
# Exit status: 1 when the corpus test failed for some vocabulary (the benchmark still runs).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
tokenizers=${TURBINE_BENCH_TOKENIZERS:-llama3_1 qwen2_5}
tests/tokenizer/fetch_tokenizers.sh
status=0
for t in $tokenizers; do
  echo "== corpus test, $t"
  node tests/structured_corpus/run_corpus.mjs --binary "$build/tests/structured_corpus/json_schema_corpus" \
    --tokenizer "$t" ${TURBINE_CORPUS_ARGS:-} || status=1
done
echo "== bench_structured"
json_args=()
[ -n "${TURBINE_BENCH_JSON:-}" ] && json_args=(--json "$TURBINE_BENCH_JSON")
${TURBINE_BENCH_PREFIX:-} "$build/bench/structured/bench_structured" --tokenizers "${tokenizers// /,}" "${json_args[@]}"
exit $status
