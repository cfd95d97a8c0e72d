#!/usr/bin/env python3
"""Hugging Face transformers baseline for bench/gpu_report.sh: the model folder loaded with torch
(bfloat16 on CUDA by default), `generate` on random prompt ids, greedy, EOS ignored
(min_new_tokens = max_new_tokens), timed after a warm-up.

    python3 bench/transformers_baseline.py --model DIR [--device cuda] [--dtype bfloat16]
        [--cases 1x128x256,32x128x128] [--iters 3] [--out FILE.json]

Each case is BATCHxINPUTxOUTPUT. Prints one JSON object per case, and with --out writes the list:
{"name", "batch_size", "input_len", "output_len", "seconds" (mean of the timed iterations),
"output_tokens_per_s" (batch * output / seconds), "total_tokens_per_s", "device", "dtype",
"torch", "transformers"}. Needs torch and transformers (the GPU machine's python3 has both).
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def parse_cases(text: str) -> list[tuple[int, int, int]]:
    cases = []
    for item in text.split(","):
        parts = item.strip().split("x")
        if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
            raise SystemExit(f"--cases: '{item}' is not BATCHxINPUTxOUTPUT")
        cases.append(tuple(int(p) for p in parts))
    return cases


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="Hugging Face model folder")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"])
    parser.add_argument("--cases", default="1x128x256,32x128x128")
    parser.add_argument("--iters", type=int, default=3, help="timed generate calls per case")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="write the results here as a JSON list")
    args = parser.parse_args(argv)
    cases = parse_cases(args.cases)

    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    dtype = getattr(torch, args.dtype)
    start = time.perf_counter()
    try:  # transformers >= 4.56 calls it dtype; older ones torch_dtype
        model = AutoModelForCausalLM.from_pretrained(args.model, dtype=dtype)
    except TypeError:
        model = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=dtype)
    model.to(args.device).eval()
    print(f"loaded {args.model} in {time.perf_counter() - start:.1f} s", file=sys.stderr)

    def sync() -> None:
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()

    generator = torch.Generator().manual_seed(args.seed)
    vocab = model.config.vocab_size
    eos = model.generation_config.eos_token_id
    pad = eos[0] if isinstance(eos, list) else (eos if eos is not None else 0)

    def generate(batch: int, input_len: int, output_len: int) -> float:
        ids = torch.randint(0, vocab, (batch, input_len), generator=generator).to(args.device)
        mask = torch.ones_like(ids)
        sync()
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=output_len,
                                 min_new_tokens=output_len, do_sample=False, pad_token_id=pad)
        sync()
        seconds = time.perf_counter() - t0
        assert out.shape == (batch, input_len + output_len), out.shape
        return seconds

    results = []
    for batch, input_len, output_len in cases:
        generate(batch, input_len, min(output_len, 16))  # warm-up: kernels, allocator, caches
        times = [generate(batch, input_len, output_len) for _ in range(args.iters)]
        seconds = sum(times) / len(times)
        result = {
            "name": f"{batch}x{input_len}x{output_len}",
            "batch_size": batch,
            "input_len": input_len,
            "output_len": output_len,
            "seconds": seconds,
            "output_tokens_per_s": batch * output_len / seconds,
            "total_tokens_per_s": batch * (input_len + output_len) / seconds,
            "device": torch.cuda.get_device_name() if args.device.startswith("cuda") else args.device,
            "dtype": args.dtype,
            "torch": torch.__version__,
            "transformers": transformers.__version__,
        }
        print(json.dumps(result), flush=True)
        results.append(result)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
