#!/usr/bin/env bash
# Batch-1 decode speed on this CPU against the memory-bandwidth limit (issue 2's benchmark).
#
# Makes a Qwen2.5-0.5B-shaped model with random BF16 weights (tools/make_random_model.py), measures
# the machine's read bandwidth (bench_memory_bandwidth, 2 threads), then decodes 128 tokens after a
# 128-token prompt with `turbine generate` three times. The limit is bandwidth / bytes read per
# token, where every weight is read once per token (the tied embedding once, as the LM head).
# Usage: bench/cpu_decode.sh [BUILD_DIR]   (results go to stdout; paste them into docs/performance.md)
# On a shared machine, TURBINE_BENCH_PREFIX="chrt -f 10" runs the measurements at real-time priority.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
model=${TURBINE_BENCH_MODEL:-$build/bench-models/qwen2.5-0.5b}
[ -f "$model/model.safetensors" ] || python3 tools/make_random_model.py --preset qwen2.5-0.5b --out "$model" --seed 0
cmake --build "$build" --target turbine bench_memory_bandwidth >/dev/null

weight_bytes=$(python3 - "$model/model.safetensors" <<'PY'
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
print(sum(v["data_offsets"][1] - v["data_offsets"][0] for k, v in header.items() if k != "__metadata__"))
PY
)

bw_json=$(${TURBINE_BENCH_PREFIX:-} "$build/bench/cpu/bench_memory_bandwidth" --benchmark_format=json 2>/dev/null)
read_gbs() {  # the best iteration's GB/s of the benchmark named $1
  python3 -c "
import json, sys
runs = [b for b in json.loads(sys.stdin.read())['benchmarks'] if b['name'].startswith(sys.argv[1])]
print('%.2f' % max(b['GB/s_best'] for b in runs))" "$1" <<<"$bw_json"
}
bw_thp=$(read_gbs 'BM_ReadBandwidth/threads:2/thp:1')
bw_4k=$(read_gbs 'BM_ReadBandwidth/threads:2/thp:0')

prompt=$(python3 -c "import random; r=random.Random(0); print(','.join(str(r.randrange(1000, 100000)) for _ in range(128)))")
rates=()
for i in 1 2 3; do
  line=$(${TURBINE_BENCH_PREFIX:-} "$build/turbine" generate --model "$model" --prompt-ids "$prompt" --max-tokens 128 --ignore-eos \
         --temperature 0 --kv-cache-memory 256MiB --max-model-len 1024 2>&1 >/dev/null | grep 'tokens/s' | tail -1)
  rates+=("$(sed -E 's/.*decode ([0-9.]+) tokens\/s.*/\1/' <<<"$line")")
done
median=$(printf '%s\n' "${rates[@]}" | sort -g | sed -n 2p)
python3 - "$weight_bytes" "$bw_thp" "$bw_4k" "$median" "${rates[*]}" <<'PY'
import sys
weights, bw_thp, bw_4k, rate, runs = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
print(f"weights read per token: {weights/1e9:.3f} GB")
for name, bw in (("huge pages", bw_thp), ("4 KiB pages", bw_4k)):
    limit = bw * 1e9 / weights
    print(f"read bandwidth ({name}, 2 threads): {bw:.1f} GB/s -> limit {limit:.1f} tokens/s; measured {rate:.2f} = {100*rate/limit:.0f}%")
print(f"decode tokens/s, 3 runs: {runs} (median {rate:.2f})")
PY
