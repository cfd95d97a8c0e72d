#!/usr/bin/env bash
# Old and new turbine binaries taken in turn on one GPU, for "nothing got slower" checks: each
# round runs every binary once through the same three measurements, so that the host's drift
# within a call falls on each alike; the table at the end gives each binary's median and the
# ratio to the first binary. Compare binaries within one call only.
#
#   bench/engine_ab.sh [--rounds N] [--budget SECONDS] [--cpu] MODEL_DIR TURBINE_A TURBINE_B [...]
#
# --cpu: batch-1 decode only, on this machine's CPU (bench/cpu_decode.sh's shape: a 128-token
# prompt, 128 tokens, 256 MiB of KV cache), for the CPU side of the same check.
#
# The measurements (the CUDA issue's shapes, as bench/gpu_report.sh takes them):
#   decode_b1   turbine generate, 128 prompt ids, 256 tokens, greedy: its "decode N tokens/s"
#   throughput  turbine bench throughput, 2000 x random 128/128: output tokens/s
#   host_b256   turbine bench latency, batch 256, 128/128: host ms per decode step (mean and p50)
# MODEL_DIR must hold tokenizer.json (the throughput dataset is made with it). Logs go to
# $OUT/ab-logs.tar.gz (or /tmp/engine-ab), the table to stdout and $OUT/ab.md.
set -u
rounds=2 budget=560 cpu=0
while [ $# -gt 0 ]; do
  case $1 in
    --cpu) cpu=1 ;;
    --rounds) rounds=${2:?}; shift ;;
    --budget) budget=${2:?}; shift ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done
model=${1:?usage: bench/engine_ab.sh [--rounds N] MODEL_DIR TURBINE_A TURBINE_B [...]}
shift
[ $# -ge 2 ] || { echo "give at least two turbine binaries" >&2; exit 2; }
deadline=$(( $(date +%s) + budget ))
work=${TURBINE_AB_WORK:-/tmp/engine-ab}
out=${OUT:-$work}
rm -rf "$work" && mkdir -p "$work" "$out"
engine_flags="--device cuda --kv-cache-memory auto --max-num-seqs 256 --max-num-batched-tokens 8192"
tp_flags="--device cuda --kv-cache-memory auto --max-num-seqs 1024 --max-num-batched-tokens 16384"
decode_tokens=256
prompt_ids=$(seq 1000 1127 | paste -sd,)
if [ "$cpu" = 1 ]; then
  engine_flags="--device cpu --kv-cache-memory 256MiB --max-model-len 1024"
  decode_tokens=128
fi
results=$work/results.tsv   # binary index, round, metric, value
: > "$results"

# run NAME CAP CMD...: CMD with its output in $work/NAME.log, under CAP seconds (less near the end).
run() {
  local name=$1 cap=$2 left
  shift 2
  left=$(( deadline - $(date +%s) - 10 ))
  if [ "$left" -lt 20 ]; then echo "[$name] skipped: out of time"; return 1; fi
  timeout --kill-after=5 $(( cap < left ? cap : left )) "$@" > "$work/$name.log" 2>&1
  local rc=$?
  [ $rc -eq 0 ] || echo "[$name] failed (exit $rc): $(grep -m1 -iE 'error' "$work/$name.log" | cut -c1-160)"
  return $rc
}
record() { [ -n "$4" ] && printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$results"; }

for round in $(seq "$rounds"); do
  i=0
  for turbine in "$@"; do
    tag="r${round}_b${i}"
    # shellcheck disable=SC2086
    if run "${tag}_decode" 120 "$turbine" generate --model "$model" $engine_flags --prompt-ids "$prompt_ids" \
        --max-tokens "$decode_tokens" --ignore-eos --temperature 0; then
      record "$i" "$round" decode_b1 "$(grep -oE 'decode [0-9.]+ tokens/s' "$work/${tag}_decode.log" | grep -oE '[0-9.]+' | head -1)"
    fi
    if [ "$cpu" = 1 ]; then
      echo "round $round, binary $i ($turbine): $(awk -F'\t' -v b="$i" -v r="$round" '$1==b && $2==r {printf "%s %s  ", $3, $4}' "$results")"
      i=$(( i + 1 ))
      continue
    fi
    # shellcheck disable=SC2086
    if run "${tag}_throughput" 200 "$turbine" bench throughput --model "$model" $tp_flags --dataset random \
        --input-len 128 --output-len 128 --num-prompts 2000 --no-progress; then
      record "$i" "$round" throughput "$(grep -oE '[0-9.]+ output tokens/s' "$work/${tag}_throughput.log" | grep -oE '^[0-9.]+' | head -1)"
    fi
    # shellcheck disable=SC2086
    if run "${tag}_host" 150 "$turbine" bench latency --model "$model" $engine_flags --batch-size 256 \
        --input-len 128 --output-len 128 --num-iters-warmup 1 --num-iters 3 --no-progress; then
      line=$(grep -m1 'decode-only steps' "$work/${tag}_host.log")
      record "$i" "$round" host_b256_mean "$(echo "$line" | grep -oE 'decode-only steps: [0-9.]+' | grep -oE '[0-9.]+$')"
      record "$i" "$round" host_b256_p50 "$(echo "$line" | grep -oE 'p50 [0-9.]+' | grep -oE '[0-9.]+$')"
    fi
    echo "round $round, binary $i ($turbine): $(awk -F'\t' -v b="$i" -v r="$round" '$1==b && $2==r {printf "%s %s  ", $3, $4}' "$results")"
    i=$(( i + 1 ))
  done
done

python3 - "$results" "$@" > "$work/ab.md" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
binaries = sys.argv[2:]
metrics = ["decode_b1", "throughput", "host_b256_mean", "host_b256_p50"]
units = {"decode_b1": "tok/s", "throughput": "out tok/s", "host_b256_mean": "ms", "host_b256_p50": "ms"}
print("| metric | " + " | ".join(f"binary {i} median (all)" for i in range(len(binaries))) + " | ratio to binary 0 |")
print("|---|" + "---|" * (len(binaries) + 1))
for m in metrics:
    cells, medians = [], []
    for i in range(len(binaries)):
        v = [float(r[3]) for r in rows if r[0] == str(i) and r[2] == m]
        med = statistics.median(v) if v else None
        medians.append(med)
        cells.append(f"{med:.3f} ({', '.join(f'{x:.3f}' for x in v)})" if v else "n/a")
    ratios = ", ".join(f"{medians[i] / medians[0]:.4f}" for i in range(1, len(binaries))
                       if medians[i] is not None and medians[0])
    print(f"| {m} ({units[m]}) | " + " | ".join(cells) + f" | {ratios or 'n/a'} |")
for i, b in enumerate(binaries):
    print(f"\nbinary {i}: {b}")
EOF
cat "$work/ab.md"
cp "$work/ab.md" "$out/ab.md" 2>/dev/null
tar -C "$work" -czf "$out/ab-logs.tar.gz" . 2>/dev/null
true
