#!/usr/bin/env bash
# Mixture-of-experts decode on the GPU (issue 19): a Qwen3-30B-A3B-shaped model (128 experts,
# 8 per token) with random BF16 weights, in ONE device call: batch-1 decode against the bandwidth
# limit of the bytes a token actually reads (attention, router, its 8 experts, the LM head), and
# 2000 x random 128/128 throughput.
#
#   here:  tests/gpu/run_gpu_tests.sh --stage BUILD_DIR   (stages turbine and the Llama 3.1 tokenizer)
#   there: tests/gpu/run_gpu_tests.sh --unpack-only && bench/moe_gpu_bench.sh [--layers N] [BUILD_DIR]
#   smoke: bench/moe_gpu_bench.sh --smoke   (the CPU, a tiny model: a dry run of the script)
#
# The whole model is 61 GB: on the GPU machine's 64 GiB disk, --layers 24 (the default, ~31 GB)
# keeps room; per-token bytes scale with the layer count, so the fraction of the limit is the
# measure. The vocabulary is Llama 3.1's (the staged tokenizer), not Qwen's: 128256 rows of LM
# head instead of 151936. Prints one table; the files land in $OUT.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
smoke=0 build=/tmp/turbine-gpu layers=24
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1 ;;
    --layers) layers=$2; shift ;;
    *) build=$1 ;;
  esac
  shift
done
out=${OUT:-/tmp/moe-bench}
mkdir -p "$out"
python=python3
[ -x /opt/torch/.venv/bin/python3 ] && python=/opt/torch/.venv/bin/python3
model=/tmp/moe-bench-model
if [ "$smoke" = 1 ]; then
  build=$repo/build device="--device cpu" prompts=8 out_len=8
  shape=(--num-layers 2 --num-experts 8 --experts-per-token 2 --hidden-size 64 --head-dim 16 --num-heads 4
         --num-kv-heads 2)
else
  device="--device cuda" prompts=2000 out_len=128
  shape=(--num-layers "$layers")
fi
if [ ! -f "$model/config.json" ]; then
  "$python" "$repo/tools/make_random_model.py" --preset qwen3-30b-a3b "${shape[@]}" --vocab-size 128256 \
    --bos-token-id 128000 --eos-token-id 128001 --out "$model" --force > "$out/model.log" 2>&1 || {
    echo "model: failed"; tail -5 "$out/model.log"; exit 1; }
fi
tokenizer=$build/tokenizer
[ "$smoke" = 1 ] && tokenizer=$repo/tests/fixtures/downloaded/llama3_1
cp "$tokenizer/"* "$model/"
export LD_LIBRARY_PATH="$build/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
turbine=$build/turbine
[ "$smoke" = 1 ] || "$python" "$repo/bench/device_limits.py" --out "$out/limits.json" > "$out/limits.log" 2>&1
prompt_ids=$(seq 1000 1127 | paste -sd,)
# shellcheck disable=SC2086
timeout 240 "$turbine" generate --model "$model" $device --prompt-ids "$prompt_ids" --max-tokens 256 --ignore-eos \
  --temperature 0 > "$out/decode_b1.log" 2>&1 || echo "decode_b1: failed (rc $?)"
# shellcheck disable=SC2086
timeout 300 "$turbine" bench throughput --model "$model" $device --dataset random --input-len 128 \
  --output-len $out_len --num-prompts $prompts --no-progress --result-file "$out/throughput.json" \
  > "$out/throughput.log" 2>&1 || echo "throughput: failed (rc $?)"
"$python" - "$model" "$out" "$out_len" <<'PY'
import json, os, re, sys
model, out, out_len = sys.argv[1], sys.argv[2], sys.argv[3]
c = json.load(open(os.path.join(model, "config.json")))
h, d, layers = c["hidden_size"], c["head_dim"], c["num_hidden_layers"]
q, kv = c["num_attention_heads"] * d, c["num_key_value_heads"] * d
expert = 3 * h * c["moe_intermediate_size"]
per_layer = h * q + 2 * h * kv + q * h + c["num_experts"] * h + c["num_experts_per_tok"] * expert + 2 * h + 2 * d
active = (layers * per_layer + c["vocab_size"] * h + 2 * h) * 2  # BF16 bytes a decoded token reads
total = os.path.getsize(os.path.join(model, "model.safetensors")) if os.path.exists(os.path.join(model, "model.safetensors")) \
    else sum(os.path.getsize(os.path.join(model, f)) for f in os.listdir(model) if f.endswith(".safetensors"))
print(f"model: {layers} layers, {c['num_experts']} experts (top {c['num_experts_per_tok']}), "
      f"{total / 1e9:.1f} GB on disk, {active / 1e9:.3f} GB read per decoded token")
limits = None
if os.path.exists(os.path.join(out, "limits.json")):
    limits = json.load(open(os.path.join(out, "limits.json")))
    print(f"device: {limits['device']}, copy {limits['copy_gb_per_s']:.0f} GB/s")
text = open(os.path.join(out, "decode_b1.log")).read() if os.path.exists(os.path.join(out, "decode_b1.log")) else ""
m = re.search(r"decode ([0-9.]+) tokens/s", text)
if m:
    rate = float(m.group(1))
    line = f"batch-1 decode: {rate:.1f} tokens/s"
    if limits:
        limit = limits["copy_gb_per_s"] * 1e9 / active
        line += f" = {100 * rate / limit:.0f}% of the {limit:.0f} tokens/s limit for its active bytes"
    print(line)
p = os.path.join(out, "throughput.json")
if os.path.exists(p):
    t = json.load(open(p))
    print(f"throughput: {t['num_requests']} x random 128/{out_len}: "
          f"{t['output_tokens_per_second']:.0f} output tokens/s, {t['tokens_per_second']:.0f} total tokens/s")
PY
