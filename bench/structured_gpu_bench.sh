#!/usr/bin/env bash
# Structured output's cost on the GPU: the same requests with and without a JSON Schema
# constraint, against one server, in ONE device call (issue 18: 64 concurrent constrained requests
# on the 8B model should reach >= 95% of the unconstrained output tokens/s).
#
#   here:  tests/gpu/run_gpu_tests.sh --stage BUILD_DIR   (stages turbine and the Llama 3.1 tokenizer)
#   there: tests/gpu/run_gpu_tests.sh --unpack-only && bench/structured_gpu_bench.sh [--smoke] [BUILD_DIR]
#
# The model is tools/make_random_model.py's llama-3.1-8b preset (random BF16 weights, the real
# shapes and vocabulary). With random weights no output ever ends on its own, so every request
# generates its max_tokens (--ignore-eos) and the constraint must stay open that long: the schema
# asks for an object with an array of at least 1000 strings, so every position is masked inside
# the grammar (string bodies, separators, keys), the case that costs the most host time.
# Prints one table: unconstrained vs constrained output tokens/s, their ratio, TPOT and TTFT.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
smoke=0 build=/tmp/turbine-gpu
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1 ;;
    *) build=$1 ;;
  esac
  shift
done
out=${OUT:-/tmp/structured-bench}
work=/tmp/structured-bench-work
mkdir -p "$out" "$work"
python=python3
[ -x /opt/torch/.venv/bin/python3 ] && python=/opt/torch/.venv/bin/python3
if [ "$smoke" = 1 ]; then
  build=$repo/build device="--device cpu --threads 2" kv=256MiB
  model=$repo/models/turbine-demo-20m prompts=16 concurrency=8 in_len=32 out_len=16
else
  device="--device cuda" kv=
  model=/tmp/turbine-report-model prompts=${STRUCTURED_PROMPTS:-512} concurrency=64 in_len=256 out_len=${STRUCTURED_OUT_LEN:-256}
  if [ ! -f "$model/config.json" ]; then
    "$python" "$repo/tools/make_random_model.py" --preset llama-3.1-8b --out "$model" > "$work/model.log" 2>&1 || {
      echo "model: failed"; tail -5 "$work/model.log"; exit 1; }
  fi
  cp "$build/tokenizer/"* "$model/"
fi
export LD_LIBRARY_PATH="$build/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
turbine=$build/turbine
port=8391
"$turbine" serve --model "$model" --port $port $device ${kv:+--kv-cache-memory $kv} --max-num-seqs 128 \
  --no-access-log > "$out/structured_server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 1 240); do curl -sf "localhost:$port/health" >/dev/null && break; sleep 0.5; done
curl -sf "localhost:$port/health" >/dev/null || { echo "server did not start"; tail -20 "$out/structured_server.log"; exit 1; }

schema='{"type":"object","properties":{"items":{"type":"array","items":{"type":"string"},"minItems":1000}},"required":["items"]}'
run() {  # run NAME NUM_PROMPTS [bench serve flags]
  local name=$1 n=$2
  shift 2
  "$turbine" bench serve --base-url "http://localhost:$port" --model "$model" --endpoint completions \
    --dataset random --input-len $in_len --output-len $out_len --num-prompts $n \
    --max-concurrency $concurrency --ignore-eos --no-progress --result-file "$out/$name.json" "$@" \
    > "$out/$name.log" 2>&1 || { echo "$name: failed"; tail -5 "$out/$name.log"; }
}
run warmup $concurrency
run plain $prompts
run constrained $prompts --extra-body "{\"structured_outputs\": {\"json\": $schema}}"
run plain_again $prompts
"$python" - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
rows = {}
for name in ("plain", "constrained", "plain_again"):
    p = os.path.join(out, name + ".json")
    if os.path.exists(p):
        rows[name] = json.load(open(p))
print("| run | output tok/s | mean TPOT ms | mean TTFT ms | completed |")
print("|---|---|---|---|---|")
for name, r in rows.items():
    print(f"| {name} | {r['output_throughput']:.0f} | {r['mean_tpot_ms']:.2f} | {r['mean_ttft_ms']:.1f} | {r['completed']} |")
if "plain" in rows and "constrained" in rows:
    base = (rows["plain"]["output_throughput"] + rows.get("plain_again", rows["plain"])["output_throughput"]) / 2
    print(f"\nconstrained / unconstrained output tok/s: {rows['constrained']['output_throughput'] / base:.3f}")
PY
grep -E "structured output|KV cache" "$out/structured_server.log" | head -3
