#!/usr/bin/env bash
# The engine's host time per decode step at batch 256 (bench latency, 128 in / 128 out) for one
# or more turbine binaries on one model, taken in turn: each round runs every binary once, so that
# the host's drift (the device machines' hosts differ 2-2.5x, and drift within a call) falls on
# each alike. For docs/performance.md; compare binaries within one call only.
#
# usage: bench/host_time_ab.sh MODEL_DIR ROUNDS TURBINE [TURBINE...]
#   env DEVICE (default cuda), BATCH (default 256)
set -u
model=${1:?usage: bench/host_time_ab.sh MODEL_DIR ROUNDS TURBINE [TURBINE...]}
rounds=${2:?usage: bench/host_time_ab.sh MODEL_DIR ROUNDS TURBINE [TURBINE...]}
shift 2
[ $# -ge 1 ] || { echo "no turbine binary given" >&2; exit 2; }
device=${DEVICE:-cuda}
batch=${BATCH:-256}
for round in $(seq "$rounds"); do
  for turbine in "$@"; do
    echo "round $round, $turbine, batch $batch:"
    "$turbine" bench latency --model "$model" --device "$device" --max-num-seqs "$batch" \
      --max-num-batched-tokens 8192 --batch-size "$batch" --input-len 128 --output-len 128 \
      --num-iters-warmup 1 --num-iters 3 --no-progress 2>&1 |
      grep -E "Avg latency|Host time|Decode steps|tokens/s|error|failed" | sed 's/^/  /'
  done
done
