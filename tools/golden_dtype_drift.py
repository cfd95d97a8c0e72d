#!/usr/bin/env python3
"""How far Hugging Face transformers itself drifts from the fp32 goldens when it computes in a
lower precision: the yardstick for Turbine's CUDA (BF16) golden tolerance.

For every golden (tests/golden/models/*, the demo models, stories260K when --shared is given) it
runs transformers in --dtype on --device, teacher-forced on the golden's prompt + greedy ids, and
reports the largest |logprob - golden logprob| over the golden's top-5 tokens at each step, the
same numbers tests/golden/golden_test.cc compares. Needs torch and transformers (the GPU machine).

    python3 tools/golden_dtype_drift.py --dtype bfloat16 --device cuda [--shared ../shared]
"""
import argparse
import json
import pathlib

import torch
from transformers import AutoModelForCausalLM


def drift(model_dir, golden_file, dtype, device):
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype).to(device).eval()
    cases = json.loads(pathlib.Path(golden_file).read_text())["cases"]
    worst, where = 0.0, ""
    for ci, case in enumerate(cases):
        if not case.get("top_logprobs"):
            continue
        prompt, ids = case["prompt_ids"], case["greedy_ids"]
        context = getattr(model.config, "max_position_embeddings", 1 << 30)
        tokens = (prompt + ids)[:context]
        with torch.no_grad():
            logits = model(torch.tensor([tokens], device=device)).logits[0].float()
        logprobs = torch.log_softmax(logits, dim=-1)
        for step, top in enumerate(case["top_logprobs"]):
            row = len(prompt) - 1 + step
            if row >= logprobs.shape[0]:
                break
            for token, ref in top:
                d = abs(float(logprobs[row, token]) - ref)
                if d > worst:
                    worst, where = d, f"case {ci} step {step}"
    return worst, where


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--shared", default=None)
    args = ap.parse_args()
    dtype = getattr(torch, args.dtype)
    root = pathlib.Path(__file__).resolve().parent.parent
    pairs = [(d, d / "golden.json") for d in sorted((root / "tests/golden/models").iterdir()) if (d / "golden.json").exists()]
    for name in ("turbine-demo-20m", "turbine-demo-3m"):
        pairs.append((root / "models" / name, root / "tests/golden/demo" / f"{name}.golden.json"))
    if args.shared:
        pairs.append((pathlib.Path(args.shared) / "models/stories260K", root / "tests/golden/stories260K/golden.json"))
    for model_dir, golden in pairs:
        worst, where = drift(str(model_dir), golden, dtype, args.device)
        print(f"{model_dir.name:22s} transformers {args.dtype}: max |logprob - fp32 golden| {worst:.2e} at {where}")


if __name__ == "__main__":
    main()
