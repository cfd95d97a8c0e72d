#!/usr/bin/env bash
# The engine on this CPU (issue 4's benchmark), through `turbine generate --prompts-file`:
#  1. batching: 32 requests (64-token prompts, 32 greedy tokens each) run one at a time
#     (--max-num-seqs 1) and all together (--max-num-seqs 32): generated tokens/s of each;
#  2. prefix caching: 16 requests sharing a 512-token system prompt (+16 own tokens, 16 output
#     tokens each), with and without --no-prefix-caching: wall time and prefix-cache hits.
# Model: the Qwen2.5-0.5B-shaped random BF16 model of bench/cpu_decode.sh.
# Usage: bench/engine_cpu.sh [BUILD_DIR]; TURBINE_BENCH_PREFIX="chrt -f 10" on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
model=${TURBINE_BENCH_MODEL:-$build/bench-models/qwen2.5-0.5b}
[ -f "$model/model.safetensors" ] || python3 tools/make_random_model.py --preset qwen2.5-0.5b --out "$model" --seed 0
cmake --build "$build" --target turbine >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import json, random, sys
r = random.Random(0)
tok = lambda n: [r.randrange(1000, 100000) for _ in range(n)]
with open(f"{sys.argv[1]}/batch.jsonl", "w") as f:
    for _ in range(32):
        f.write(json.dumps({"prompt_ids": tok(64), "max_tokens": 32}) + "\n")
system = tok(512)
with open(f"{sys.argv[1]}/prefix.jsonl", "w") as f:
    for _ in range(16):
        f.write(json.dumps({"prompt_ids": system + tok(16), "max_tokens": 16}) + "\n")
PY

run() {  # prints the summary line of one offline run
  ${TURBINE_BENCH_PREFIX:-} "$build/turbine" generate --model "$model" --prompts-file "$1" --json --ignore-eos \
    --temperature 0 --kv-cache-memory 512MiB --max-model-len 1024 "${@:2}" 2>&1 >/dev/null | grep '^turbine:'
}
echo "batching, 32 requests x 32 tokens:"
echo "  one at a time: $(run "$work/batch.jsonl" --max-num-seqs 1)"
echo "  all at once:   $(run "$work/batch.jsonl" --max-num-seqs 32)"
echo "shared 512-token system prompt, 16 requests x 16 tokens:"
echo "  prefix caching on:  $(run "$work/prefix.jsonl")"
echo "  prefix caching off: $(run "$work/prefix.jsonl" --no-prefix-caching)"
