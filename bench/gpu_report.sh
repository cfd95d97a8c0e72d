#!/usr/bin/env bash
# The GPU report: turbine's benchmarks on an 8B-shaped model and a transformers baseline, in ONE
# call on the GPU machine (the device tool), ending with one markdown table.
#
#   here:  tests/gpu/run_gpu_tests.sh --stage BUILD_DIR   (a CUDA build: scripts/build_cuda.sh)
#            packs turbine, its libfmt/libspdlog and the Llama 3.1 tokenizer into .carry/gpu.tar.xz
#   there: tests/gpu/run_gpu_tests.sh [--unpack-only], then
#          bench/gpu_report.sh [--device cuda|cpu] [--budget SECONDS] [BUILD_DIR]   (carry [".carry"])
#            BUILD_DIR holds `turbine` (and lib/, tokenizer/); default /tmp/turbine-gpu, where
#            run_gpu_tests.sh unpacks
#   smoke: bench/gpu_report.sh --smoke [BUILD_DIR]
#            the same steps on the CPU with a tiny random model and small counts (a dry run of the
#            script; default BUILD_DIR build, tokenizer from models/turbine-demo-20m)
#
# Steps, each under `timeout` (its own cap, never past the whole budget, default 560 s so the call
# stays under the device tool's 10 minutes):
#   1. the model: tools/make_random_model.py --preset llama-3.1-8b (random BF16, 16 GB) plus the
#      tokenizer files, in $TURBINE_REPORT_MODEL (default /tmp/turbine-report-model)
#   2. the device's ceilings (bench/device_limits.py); turbine generate at batch 1 (decode rate)
#      and from process start to the first token (cold start);
#      turbine bench throughput: 2000 x random 128/128 and 1000 x 1024/128
#   3. turbine bench latency: batch 1, 128 in / 256 out; batch 32, 128 and 256, 128 in / 128 out
#      (each with the engine's host time per step)
#   4. turbine serve --device DEVICE, then turbine bench serve: random 1024/128 at rate inf, and
#      sharegpt-like at rates 4, 8, 16 and inf; the server is stopped afterwards
#   5. bench/transformers_baseline.py on the same folder: the two latency shapes, torch bf16
#   6. the table (stdout and report.md)
# A step that fails or runs out of time is marked so in the table; the others still run.
# TURBINE_REPORT_ONLY=step,step,... runs a subset (names as in the table's notes and steps.tsv).
# `bench throughput` and `bench latency` get --device only when this turbine has that flag (the
# CUDA engine is being wired); without it they are skipped on a GPU run (an 8B model on the CPU
# would not finish in the budget).
# Everything lands in a work folder (logs, result JSON); $OUT (at most 8 files come back) gets
# report.md and logs.tar.gz.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
staged=/tmp/turbine-gpu  # where tests/gpu/run_gpu_tests.sh unpacks the staged binaries

device=cuda smoke=0 budget=560 build=
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1 device=cpu budget=300 ;;
    --device) device=${2:?}; shift ;;
    --budget) budget=${2:?}; shift ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) build=$1 ;;
  esac
  shift
done
deadline=$(( $(date +%s) + budget ))
if [ "$smoke" = 1 ]; then build=${build:-$repo/build}; else build=${build:-$staged}; fi
turbine=$build/turbine
[ -x "$turbine" ] || { echo "no turbine binary at $turbine" >&2; exit 1; }
export LD_LIBRARY_PATH="$build/lib:${LD_LIBRARY_PATH:-}"
if [ -f "$build/tokenizer/tokenizer.json" ]; then
  tokenizer=$build/tokenizer
elif [ "$smoke" = 1 ]; then
  tokenizer=$repo/models/turbine-demo-20m
else
  tokenizer=$repo/tests/fixtures/downloaded/llama3_1
fi
work=${TURBINE_REPORT_WORK:-/tmp/turbine-report}
model=${TURBINE_REPORT_MODEL:-/tmp/turbine-report-model$([ "$smoke" = 1 ] && echo -smoke)}
out=${OUT:-$work}
rm -rf "$work" && mkdir -p "$work" "$out"
python=python3
[ -x /opt/torch/.venv/bin/python3 ] && python=/opt/torch/.venv/bin/python3

# Sizes: the real run, or the smoke run's small ones.
if [ "$smoke" = 1 ]; then
  kv=256MiB threads="--threads 2"
  tp_prompts=8 tp_in=128 tp_out=16
  tp_long_prompts=4 tp_long_in=256 tp_long_out=16
  lat_a="--batch-size 1 --input-len 32 --output-len 16 --num-iters-warmup 1 --num-iters 3"
  lat_b="--batch-size 4 --input-len 32 --output-len 16 --num-iters-warmup 1 --num-iters 3"
  lat_c="--batch-size 8 --input-len 32 --output-len 16 --num-iters-warmup 1 --num-iters 3"
  lat_d="--batch-size 16 --input-len 32 --output-len 16 --num-iters-warmup 1 --num-iters 3"
  decode_in=32 decode_out=32
  tf_cases=1x32x16,4x32x16,8x32x16
  serve_prompts=16 rand_in=128 rand_out=16 rate_prompts=8 rates="4 8 16 inf"
else
  kv=${TURBINE_REPORT_KV:-auto} threads=  # auto: planned from --gpu-memory-utilization
  # The CUDA issue's shapes: 2000 requests of 128/128, then 1000 of 1024/128; batch 1, 32, 128.
  tp_prompts=2000 tp_in=128 tp_out=128
  tp_long_prompts=1000 tp_long_in=1024 tp_long_out=128
  lat_a="--batch-size 1 --input-len 128 --output-len 256 --num-iters-warmup 1 --num-iters 3"
  lat_b="--batch-size 32 --input-len 128 --output-len 128 --num-iters-warmup 1 --num-iters 3"
  lat_c="--batch-size 128 --input-len 128 --output-len 128 --num-iters-warmup 1 --num-iters 3"
  lat_d="--batch-size 256 --input-len 128 --output-len 128 --num-iters-warmup 1 --num-iters 3"
  decode_in=128 decode_out=256
  tf_cases=1x128x256,32x128x128,128x128x128
  serve_prompts=100 rand_in=1024 rand_out=128 rate_prompts=50 rates="4 8 16 inf"
fi
# Latency and serving: up to 256 sequences, 8192-token steps. Offline throughput: vLLM's offline
# defaults on an H100/H200 (1024 sequences, 16384-token steps), so decode runs at large batch.
engine_flags="--kv-cache-memory $kv --max-num-seqs 256 --max-num-batched-tokens 8192 $threads"
tp_flags="--kv-cache-memory $kv --max-num-seqs 1024 --max-num-batched-tokens 16384 $threads"
[ "$smoke" = 1 ] && tp_flags="--kv-cache-memory $kv --max-num-seqs 64 --max-num-batched-tokens 2048 $threads"

steps=$work/steps.tsv
: > "$steps"
# step NAME CAP CMD...: CMD under a time limit of CAP seconds (less if the budget is nearer), its
# output in $work/NAME.log, its outcome in steps.tsv.
step() {
  local name=$1 cap=$2
  shift 2
  # TURBINE_REPORT_ONLY=a,b,c runs only those steps (the model is always made): a second call
  # can fill in what the first one had no time for.
  if [ -n "${TURBINE_REPORT_ONLY:-}" ] && [ "$name" != model ] && [[ ",$TURBINE_REPORT_ONLY," != *",$name,"* ]]; then
    printf '%s\tnot selected\t0\n' "$name" >> "$steps"
    return 1
  fi
  local left=$(( deadline - $(date +%s) - 20 ))
  if [ "$left" -lt 15 ]; then
    printf '%s\tskipped: out of time\t0\n' "$name" >> "$steps"
    echo "[$name] skipped: out of time"
    return 1
  fi
  local limit=$(( cap < left ? cap : left )) start rc status
  start=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" > "$work/$name.log" 2>&1
  rc=$?
  case $rc in
    0) status=ok ;;
    124 | 137) status="timed out after ${limit} s" ;;
    *) status="failed (exit $rc): $(grep -m1 -E 'error|Error' "$work/$name.log" | cut -c1-160)" ;;
  esac
  printf '%s\t%s\t%s\n' "$name" "$status" "$(( $(date +%s) - start ))" >> "$steps"
  echo "[$name] $status ($(( $(date +%s) - start )) s)"
  return $rc
}
skip() { printf '%s\tskipped: %s\t0\n' "$1" "$2" >> "$steps"; echo "[$1] skipped: $2"; }

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "turbine: $("$turbine" --version 2>&1)"
  echo "device: $device"
  command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) cores)"
} | tee "$work/machine.txt"

# 1. The model.
if [ -f "$model/config.json" ] && [ -f "$model/tokenizer.json" ]; then
  echo "[model] reusing $model"
else
  rm -rf "$model"
  if [ "$smoke" = 1 ]; then
    # A tiny Llama on the demo tokenizer's vocabulary (8192), 4096-token context.
    shape="--preset custom --hidden-size 64 --intermediate-size 128 --num-layers 2 --num-heads 4 --num-kv-heads 2 --vocab-size 8192"
  else
    shape="--preset llama-3.1-8b"
  fi
  # shellcheck disable=SC2086
  step model 240 python3 "$repo/tools/make_random_model.py" $shape --out "$model" --seed 0 &&
    cp "$tokenizer/tokenizer.json" "$model/" &&
    { [ ! -f "$tokenizer/tokenizer_config.json" ] || cp "$tokenizer/tokenizer_config.json" "$model/"; }
fi
[ -f "$model/config.json" ] || { echo "no model: giving up (see $work/model.log)" >&2; exit 1; }

# The device's own ceilings, in this same call (copy bandwidth, BF16 matrix rate).
if [ "$device" != cpu ]; then
  step limits 60 $python "$repo/bench/device_limits.py" --out "$work/limits.json"
fi

# 2-3. In-process benchmarks.
device_flag=
if "$turbine" bench throughput --help 2>&1 | grep -q -- '--device'; then device_flag="--device $device"; fi
if [ -z "$device_flag" ] && [ "$device" != cpu ]; then
  for name in decode_b1 throughput latency_b1 latency_b32 latency_b128 latency_b256 throughput_long; do skip "$name" "this turbine's bench has no --device flag yet"; done
else
  # Batch-1 decode alone: turbine generate prints its decode rate (first token excluded).
  prompt_ids=$(seq 1000 $(( 999 + decode_in )) | paste -sd,)
  echo "$decode_in/$decode_out" > "$work/decode_b1.setting"
  # shellcheck disable=SC2086
  step decode_b1 90 "$turbine" generate --model "$model" $device_flag $engine_flags --prompt-ids "$prompt_ids" \
    --max-tokens $decode_out --ignore-eos --temperature 0
  # Cold start: process start to the first generated token, the weights in the page cache (the
  # step above read them): loading, upload, memory plan, KV allocation and one prefill.
  # shellcheck disable=SC2086,SC2016
  step cold_start 90 bash -c 'start=$(date +%s%N); "$@" || exit; end=$(date +%s%N)
    echo "cold start: $(( (end - start) / 1000000 )) ms from process start to the first token"' _ \
    "$turbine" generate --model "$model" $device_flag $engine_flags --prompt-ids "$prompt_ids" --max-tokens 1 \
    --ignore-eos --temperature 0
  # shellcheck disable=SC2086
  step throughput 150 "$turbine" bench throughput --model "$model" $device_flag $tp_flags --dataset random \
    --input-len $tp_in --output-len $tp_out --num-prompts $tp_prompts --no-progress --result-file "$work/throughput.json"
  # shellcheck disable=SC2086
  step latency_b1 120 "$turbine" bench latency --model "$model" $device_flag $engine_flags $lat_a --no-progress \
    --result-file "$work/latency_b1.json"
  # shellcheck disable=SC2086
  step latency_b32 120 "$turbine" bench latency --model "$model" $device_flag $engine_flags $lat_b --no-progress \
    --result-file "$work/latency_b32.json"
  # shellcheck disable=SC2086
  step latency_b128 120 "$turbine" bench latency --model "$model" $device_flag $engine_flags $lat_c --no-progress \
    --result-file "$work/latency_b128.json"
  # shellcheck disable=SC2086
  step latency_b256 120 "$turbine" bench latency --model "$model" $device_flag $engine_flags $lat_d --no-progress \
    --result-file "$work/latency_b256.json"
fi

# The transformers baseline, right after the in-process runs (the GPU is free between them).
if $python -c 'import torch, transformers' 2> /dev/null; then
  step transformers 180 $python "$repo/bench/transformers_baseline.py" --model "$model" --device "$device" \
    --cases "$tf_cases" --iters 1 --out "$work/transformers.json"
else
  skip transformers "no torch/transformers in $python"
fi

if [ -n "$device_flag" ] || [ "$device" = cpu ]; then
  # shellcheck disable=SC2086
  step throughput_long 120 "$turbine" bench throughput --model "$model" $device_flag $tp_flags --dataset random \
    --input-len $tp_long_in --output-len $tp_long_out --num-prompts $tp_long_prompts --no-progress \
    --result-file "$work/throughput_long.json"
fi

# 4. The server and the serving benchmarks.
server_pid=
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2> /dev/null
  for _ in $(seq 50); do kill -0 "$server_pid" 2> /dev/null || break; sleep 0.2; done
  kill -KILL "$server_pid" 2> /dev/null
  wait "$server_pid" 2> /dev/null
  server_pid=
}
trap stop_server EXIT
# shellcheck disable=SC2086
"$turbine" serve --model "$model" --served-model-name report-model --device "$device" --port 0 --no-access-log \
  --shutdown-timeout 5 $engine_flags > "$work/serve.log" 2>&1 &
server_pid=$!
url=
for _ in $(seq 600); do  # up to 120 s to load and listen
  url=$(grep -o -m1 'listening on http://[0-9.]*:[0-9]*' "$work/serve.log" | sed 's/listening on //')
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2> /dev/null || break
  [ "$(date +%s)" -lt "$deadline" ] || break
  sleep 0.2
done
if [ -z "$url" ]; then
  reason="the server did not start: $(grep -m1 -E 'error' "$work/serve.log" | cut -c1-160)"
  skip serve_random "$reason"
  for rate in $rates; do skip "serve_sharegpt_$rate" "$reason"; done
  stop_server
else
  echo "[serve] $url"
  serve() {  # serve NAME CAP ARGS...
    local name=$1 cap=$2
    shift 2
    step "$name" "$cap" "$turbine" bench serve --base-url "$url" --model report-model --tokenizer "$model" \
      --no-progress --result-file "$work/$name.json" "$@"
  }
  serve serve_random 150 --dataset random --input-len $rand_in --output-len $rand_out --num-prompts $serve_prompts \
    --ignore-eos --request-rate inf
  for rate in $rates; do
    serve "serve_sharegpt_$rate" 90 --dataset sharegpt-like --num-prompts $rate_prompts --request-rate "$rate" --ignore-eos
  done
  stop_server
fi

# 6. The table.
python3 - "$work" <<'PY' | tee "$work/report.md"
import json, os, sys
work = sys.argv[1]

def load(name):
    path = os.path.join(work, name + ".json")
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

status = {}
with open(os.path.join(work, "steps.tsv")) as f:
    for line in f:
        name, what, seconds = (line.rstrip("\n").split("\t") + ["", ""])[:3]
        status[name] = what

def f1(x): return "" if x is None else f"{x:,.1f}"
def f2(x): return "" if x is None else f"{x:,.2f}"

rows = []
def row(bench, setting, req_s=None, out_tok_s=None, total_tok_s=None, ttft=None, tpot=None, itl=None, e2e=None, note=""):
    rows.append([bench, setting, f2(req_s), f1(out_tok_s), f1(total_tok_s), ttft or "", tpot or "", itl or "", e2e or "", note])

def missing(name):
    return status.get(name, "not run")

limits = load("limits")
# The 8B shape's bytes per decoded token and FLOPs per processed token (the CUDA issue's yardsticks).
weight_gb = 16.06
flop_per_token = 2 * 8.03e9

def host_note(r):
    t = r.get("step_timing") if r else None
    if not t:
        return ""
    note = (f"; host {t['host_ms_per_step']:.3f} ms/step, decode steps {t['decode_host_ms_per_step']:.3f} ms "
            f"at {t['decode_mean_rows']:.0f} rows")
    if "decode_host_ms_p50" in t:
        note += (f" (p50 {t['decode_host_ms_p50']:.3f}; schedule {t['decode_schedule_ms_per_step']:.3f}, runner "
                 f"{t['decode_runner_host_ms_per_step']:.3f}, update {t['decode_update_ms_per_step']:.3f}, emit "
                 f"{t['decode_emit_ms_per_step']:.3f})")
    if "decode_steps_ahead" in t:
        note += (f"; launched ahead {t['decode_steps_ahead']} of {t['decode_steps']} decode steps, hidden "
                 f"{t['decode_steps_hidden']}, exposed host {t['decode_exposed_host_ms_per_step']:.3f} ms/step")
    return note

import re
decode_rate = None
try:
    with open(os.path.join(work, "decode_b1.log")) as f:
        m = re.search(r"decode ([0-9.]+) tokens/s", f.read())
        decode_rate = float(m.group(1)) if m else None
except OSError:
    pass
if decode_rate is not None:
    note = "first token excluded"
    if limits:
        limit = limits["copy_gb_per_s"] / weight_gb
        note += f"; {100 * decode_rate / limit:.0f}% of the {limit:.0f} tok/s bandwidth limit"
    with open(os.path.join(work, "decode_b1.setting")) as f:
        setting = f.read().strip()
    row("turbine generate (decode only)", f"batch 1, {setting}", out_tok_s=decode_rate, note=note)
else:
    row("turbine generate (decode only)", "batch 1", note=missing("decode_b1"))

try:
    with open(os.path.join(work, "cold_start.log")) as f:
        m = re.search(r"cold start: ([0-9]+) ms", f.read())
    row("turbine generate (cold start)", "process start to first token", note=(
        f"{int(m.group(1)) / 1000:.2f} s (weights in the page cache)" if m else missing("cold_start")))
except OSError:
    row("turbine generate (cold start)", "process start to first token", note=missing("cold_start"))

for name in ("throughput", "throughput_long"):
    t = load(name)
    if t:
        c = t["config"]["dataset"]
        note = f"{t['elapsed_time']:.2f} s"
        if limits:
            tflops = t["tokens_per_second"] * flop_per_token / 1e12
            note += f"; {tflops:.0f} TFLOP/s = {100 * tflops / limits['bf16_tflops']:.0f}% of the measured BF16 peak"
        row("turbine bench throughput", f"random {c['input_len']}/{c['output_len']}, {t['num_requests']} prompts",
            t["requests_per_second"], t["output_tokens_per_second"], t["tokens_per_second"],
            note=note + host_note(t))
    else:
        row("turbine bench throughput", name, note=missing(name))

for name in ("latency_b1", "latency_b32", "latency_b128", "latency_b256"):
    l = load(name)
    if l:
        c = l["config"]
        tokens = c["batch_size"] * c["output_len"]
        row("turbine bench latency", f"batch {c['batch_size']}, {c['input_len']}/{c['output_len']}",
            out_tok_s=tokens / l["avg_latency"], total_tok_s=c["batch_size"] * (c["input_len"] + c["output_len"]) / l["avg_latency"],
            e2e=f"{l['avg_latency'] * 1e3:,.0f} (p50 {l['percentiles']['50'] * 1e3:,.0f}, p99 {l['percentiles']['99'] * 1e3:,.0f})",
            note=f"{len(l['latencies'])} iterations" + host_note(l))
    else:
        row("turbine bench latency", name, note=missing(name))

for name in [n for n in status if n.startswith("serve_")]:  # in the order they ran
    s = load(name)
    if s:
        c = s["config"]
        rate = s["request_rate"]
        rate = int(rate) if isinstance(rate, float) and rate.is_integer() else rate
        setting = f"{c['dataset']} " + (f"{c['input_len']}/{c['output_len']}, " if c["input_len"] else "") + \
            f"rate {rate}, {s['num_prompts']} prompts"
        ms = lambda m: f"{s['mean_' + m]:,.1f} / {s['p99_' + m]:,.1f}"
        row("turbine bench serve", setting, s["request_throughput"], s["output_throughput"], s["total_token_throughput"],
            ms("ttft_ms"), ms("tpot_ms"), f"{s['mean_itl_ms']:,.1f}", f"{s['mean_e2el_ms']:,.0f}",
            f"{s['failed']} failed; peak {s['peak_concurrent_requests']} in flight")
    else:
        row("turbine bench serve", name[len("serve_"):], note=missing(name))

tf = load("transformers")
if tf:
    for r in tf:
        row(f"transformers {r['transformers']} ({r['dtype']})", f"batch {r['batch_size']}, {r['input_len']}/{r['output_len']}",
            out_tok_s=r["output_tokens_per_s"], total_tok_s=r["total_tokens_per_s"], e2e=f"{r['seconds'] * 1e3:,.0f}",
            note=r["device"])
else:
    row("transformers", "baseline", note=missing("transformers"))

with open(os.path.join(work, "machine.txt")) as f:
    print("\n".join("    " + line.rstrip() for line in f))
if limits:
    print(f"    limits ({limits['device']}): copy {limits['copy_gb_per_s']:,.0f} GB/s (read + write), "
          f"BF16 matmul {limits['bf16_tflops']:,.0f} TFLOP/s; batch-1 limit {limits['copy_gb_per_s'] / weight_gb:,.0f} tok/s, "
          f"60% of peak = {0.6 * limits['bf16_tflops'] * 1e12 / flop_per_token:,.0f} processed tok/s")
print()
head = ["benchmark", "setting", "req/s", "output tok/s", "total tok/s", "TTFT mean / p99 (ms)", "TPOT mean / p99 (ms)",
        "ITL mean (ms)", "E2E mean (ms)", "notes"]
print("| " + " | ".join(head) + " |")
print("|" + "|".join("---" if i < 2 or i == 9 else "---:" for i in range(len(head))) + "|")
for r in rows:
    print("| " + " | ".join(r) + " |")
PY
tar -C "$work" -czf /tmp/turbine-report-logs.tar.gz . 2> /dev/null
[ "$out" -ef "$work" ] || cp "$work/report.md" "$out/report.md"
mv /tmp/turbine-report-logs.tar.gz "$out/logs.tar.gz"
echo "logs and result files: $out/logs.tar.gz"
