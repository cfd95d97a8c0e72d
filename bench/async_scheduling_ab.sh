#!/usr/bin/env bash
# Asynchronous scheduling off and on, in one call on one model (for docs/performance.md): the
# batch-1 decode rate (turbine generate, 128 prompt / 256 output tokens, rounds alternating the
# two modes) and bench latency at batch 256 (128/128) with the engine's host time per step.
#
# usage: bench/async_scheduling_ab.sh TURBINE MODEL_DIR [DEVICE] [ROUNDS]
set -u
turbine=${1:?usage: bench/async_scheduling_ab.sh TURBINE MODEL_DIR [DEVICE] [ROUNDS]}
model=${2:?usage: bench/async_scheduling_ab.sh TURBINE MODEL_DIR [DEVICE] [ROUNDS]}
device=${3:-cuda}
rounds=${4:-2}
prompt=$(seq 1000 1127 | paste -sd,)
for round in $(seq "$rounds"); do
  for mode in off on; do
    rate=$("$turbine" generate --model "$model" --device "$device" --async-scheduling "$mode" --prompt-ids "$prompt" \
      --max-tokens 256 --ignore-eos --temperature 0 2>&1 | grep -o "decode [0-9.]* tokens/s")
    echo "batch 1, round $round, async scheduling $mode: ${rate:-failed}"
  done
done
for mode in off on; do
  echo "batch 256, async scheduling $mode:"
  "$turbine" bench latency --model "$model" --device "$device" --async-scheduling "$mode" --max-num-seqs 256 \
    --max-num-batched-tokens 8192 --batch-size 256 --input-len 128 --output-len 128 --num-iters-warmup 1 \
    --num-iters 3 --no-progress 2>&1 | grep -E "Avg latency|Host time|Decode steps" | sed 's/^/  /'
done
