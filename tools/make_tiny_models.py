#!/usr/bin/env python3
"""Make tiny random-weight Hugging Face models, one per architecture variant Turbine supports,
with greedy goldens computed by transformers, and pack everything into ONE tarball.

Runs where torch and transformers are installed (the GPU machine; no network needed, and the
goldens are computed on its CPU in float32). On a machine without torch, --dry-run checks the
arguments, the variant table and the packing code without importing torch.

    python3 tools/make_tiny_models.py --out-tar fixtures.tar.gz --stories path/to/stories260K
    python3 tools/make_tiny_models.py --dry-run
    tar -xzf fixtures.tar.gz -C tests/golden     # -> tests/golden/models/<name>/, ...

For every variant the model is built from its config, re-initialised so that its next-token
distributions are peaked (the default init, std 0.02, gives near-uniform logits whose greedy
choice is rounding noise), cast to its on-disk dtype, saved with save_pretrained (safetensors),
then RELOADED in float32 with eager attention; the goldens come from that reloaded model, so
they are exactly what a float32 engine computes from the weights on disk. Per prompt:
model.generate(do_sample=False, max_new_tokens=N, min_new_tokens=N, output_logits=True,
return_dict_in_generate=True) with EOS disabled (it always runs N steps), recording the greedy
ids and the top-5 (id, logprob) per step from log_softmax of the raw logits in float32 (ties to
the lower id). Two self-checks per case: each greedy id is the argmax of its raw logits, and
one forward pass over the whole sequence without a cache gives the same logits.

A quality gate retries an init (new seed, other gains, up to --max-attempts) until the top-1
margins are comfortably above float noise and the continuations are not stuck on one token.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import random
import re
import shutil
import statistics
import struct
import sys
import tarfile
import tempfile
import time
import traceback
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiny_model_variants import (BOS_ID, DTYPE_BYTES, EOS_ID, GOLDEN_STEPS,
                                 MAX_TOTAL_MODEL_BYTES, PROMPT_LENGTHS, TOP_LOGPROBS, VARIANTS,
                                 Variant, check_variant, head_dim, make_prompts, parameter_count)

STORIES_PROMPT = [1, 403, 407, 261, 378]  # "Once upon a time"
STORIES_STEPS = 40
STORIES_EXPECTED = [432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267,
                    337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432,
                    358, 394, 261, 370, 432, 352, 266, 268, 388, 426]

# Quality gate (logprob units). Float32 engines agree with torch to ~1e-5 in logits, so a
# margin of 2e-3 leaves two orders of magnitude; the median keeps distributions peaked.
MIN_MEDIAN_MARGIN = 0.3
MIN_MARGIN = 2e-3
MIN_DISTINCT_TOKENS = 6  # per case, out of GOLDEN_STEPS: not stuck in a 1- or 2-cycle
MAX_FULL_FORWARD_DIFF = 1e-3

SAFETENSORS_DTYPE = {"float32": "F32", "bfloat16": "BF16", "float16": "F16"}

# Init profiles, tried in turn. std of a linear weight = gain / sqrt(fan_in). Tied models use a
# small embedding std because the embedding is also the output head (logit scale ~ std *
# sqrt(hidden)), and they need a strongly nonlinear MLP (in_gain ~2): otherwise next-token
# choice is nearly linear in the current token's embedding, and with a tied head that iterates
# like a power method onto one or two tokens. (Checked with a pure-Python forward pass: with
# in_gain 1 tied models repeat 1-5 distinct tokens; with 2 they produce 25-32 of 32.)
INIT_PROFILES = [
    {"embed_std": 1.0, "tied_embed_std": 0.3, "in_gain": 2.0, "qk_gain": 1.3, "out_gain": 1.0,
     "head_gain": 3.0, "norm_noise": 0.1, "bias_std": 0.2},
    {"embed_std": 1.0, "tied_embed_std": 0.3, "in_gain": 1.2, "qk_gain": 1.5, "out_gain": 1.5,
     "head_gain": 4.0, "norm_noise": 0.1, "bias_std": 0.2},
    {"embed_std": 0.7, "tied_embed_std": 0.3, "in_gain": 2.0, "qk_gain": 2.5, "out_gain": 1.5,
     "head_gain": 3.5, "norm_noise": 0.15, "bias_std": 0.3},
    {"embed_std": 1.0, "tied_embed_std": 0.4, "in_gain": 1.6, "qk_gain": 1.0, "out_gain": 1.2,
     "head_gain": 5.0, "norm_noise": 0.1, "bias_std": 0.1},
]


# ---------------------------------------------------------------------------------------------
# Pure helpers (no torch): sizes, checks, prompts, quality, packing. --dry-run exercises these.


def case_metrics(top_logprobs: list, greedy_ids: list[int]) -> dict:
    margins = [step[0][1] - step[1][1] for step in top_logprobs]
    return {"margins": margins, "distinct": len(set(greedy_ids))}


def quality(cases: list[dict]) -> dict:
    margins = [m for c in cases for m in c["metrics"]["margins"]]
    return {
        "mean_margin": statistics.fmean(margins),
        "median_margin": statistics.median(margins),
        "min_margin": min(margins),
        "min_distinct": min(c["metrics"]["distinct"] for c in cases),
        "max_full_forward_diff": max(c["full_forward_max_abs_diff"] for c in cases),
        "full_forward_argmax_mismatches": sum(c["full_forward_argmax_mismatches"] for c in cases),
    }


def gate(q: dict) -> list[str]:
    """Reasons to retry the init (empty: good enough)."""
    reasons = []
    if q["median_margin"] < MIN_MEDIAN_MARGIN:
        reasons.append(f"median margin {q['median_margin']:.3g} < {MIN_MEDIAN_MARGIN}")
    if q["min_margin"] < MIN_MARGIN:
        reasons.append(f"min margin {q['min_margin']:.3g} < {MIN_MARGIN}")
    if q["min_distinct"] < MIN_DISTINCT_TOKENS:
        reasons.append(f"a continuation has only {q['min_distinct']} distinct tokens")
    return reasons


def gate_score(q: dict) -> tuple:
    return (-len(gate(q)), min(q["min_margin"], MIN_MARGIN), q["min_distinct"],
            q["median_margin"])


def golden_document(name: str, architecture: str, versions: dict, dtype_on_disk: str,
                    cases: list[dict], extra: dict) -> dict:
    doc = {
        "model": name,
        "architecture": architecture,
        "transformers_version": versions["transformers"],
        "torch_version": versions["torch"],
        "dtype_on_disk": dtype_on_disk,
        "compute": {"dtype": "float32", "device": "cpu", "attn_implementation": "eager",
                    "tf32": False},
        "generation": {
            "method": "model.generate(do_sample=False, max_new_tokens=N, min_new_tokens=N, "
                      "output_logits=True, return_dict_in_generate=True), EOS disabled",
            "top_logprobs": f"top {TOP_LOGPROBS} of log_softmax(raw logits) in float32, best "
                            "first, ties to the lower id",
        },
    }
    doc.update(extra)
    doc["cases"] = [{
        "prompt_ids": c["prompt_ids"],
        "greedy_ids": c["greedy_ids"],
        "top_logprobs": c["top_logprobs"],
        "min_margin": min(c["metrics"]["margins"]),
        "full_forward_max_abs_diff": c["full_forward_max_abs_diff"],
    } for c in cases]
    return doc


_SCALAR_LIST = re.compile(r"\[\s*([^\[\]{}\"]*?)\s*\]")
_LIST_OF_PAIRS = re.compile(r"\[\s*((?:\[[^\[\]{}\"]*\],?\s*)+)\]")


def write_json(path: str, doc: dict) -> None:
    """Indented JSON with lists of numbers (and lists of [id, logprob] pairs) on one line, so
    a golden reads one generated step per line."""
    text = json.dumps(doc, indent=1)
    text = _SCALAR_LIST.sub(lambda m: "[" + re.sub(r"\s+", " ", m.group(1)) + "]", text)
    text = _LIST_OF_PAIRS.sub(lambda m: "[" + re.sub(r"\],\s*", "], ", m.group(1).strip()) + "]",
                              text)
    if json.loads(text) != doc:
        raise RuntimeError("compact JSON changed the document")
    with open(path, "w") as f:
        f.write(text + "\n")


def json_safe(value):
    """value with anything JSON cannot hold (tensors, dtypes) turned into strings."""
    return json.loads(json.dumps(value, default=str))


def safetensors_dtypes(folder: str) -> dict[str, str]:
    """{tensor name: dtype} over every .safetensors file in folder (stdlib reader)."""
    out = {}
    for file_name in sorted(os.listdir(folder)):
        if not file_name.endswith(".safetensors"):
            continue
        with open(os.path.join(folder, file_name), "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(n))
        header.pop("__metadata__", None)
        out.update({name: entry["dtype"] for name, entry in header.items()})
    return out


def folder_bytes(folder: str) -> int:
    return sum(os.path.getsize(os.path.join(root, f))
               for root, _, files in os.walk(folder) for f in files)


def write_tarball(staging: str, tar_path: str) -> int:
    """Packs staging/ (sorted, owner and times zeroed, so equal input gives equal bytes)."""
    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0
        return info

    os.makedirs(os.path.dirname(os.path.abspath(tar_path)), exist_ok=True)
    with tarfile.open(tar_path, "w:gz", compresslevel=9) as tar:
        for root, dirs, files in os.walk(staging):
            dirs.sort()
            for file_name in sorted(files):
                path = os.path.join(root, file_name)
                tar.add(path, arcname=os.path.relpath(path, staging), recursive=False,
                        filter=clean)
    return os.path.getsize(tar_path)


def summary_table(rows: list[dict]) -> str:
    header = (f"{'model':<20} {'status':<7} {'class':<19} {'dtype':<8} {'params':>8} "
              f"{'disk KB':>8} {'mean m':>7} {'med m':>6} {'min m':>8} {'dist':>4} "
              f"{'fwd diff':>9} {'try':>3}")
    lines = [header, "-" * len(header)]
    for r in rows:
        q = r.get("quality") or {}
        def num(key, fmt):
            return format(q[key], fmt) if key in q else "-"
        lines.append(
            f"{r['name']:<20} {r['status']:<7} {r.get('class', '-'):<19} {r.get('dtype', '-'):<8} "
            f"{r.get('params', 0):>8} {r.get('disk_bytes', 0) / 1e3:>8.1f} "
            f"{num('mean_margin', '7.3f'):>7} {num('median_margin', '6.3f'):>6} "
            f"{num('min_margin', '8.2e'):>8} {num('min_distinct', 'd'):>4} "
            f"{num('max_full_forward_diff', '9.2e'):>9} {r.get('attempt', '-')!s:>3}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# torch / transformers part (imported lazily so --dry-run works without them)


class Stack:
    """torch and transformers, set up for exact float32 CPU reference runs."""

    def __init__(self, threads: int) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        import transformers

        self.torch = torch
        self.transformers = transformers
        torch.set_default_dtype(torch.float32)
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.set_float32_matmul_precision("highest")
        torch.use_deterministic_algorithms(True, warn_only=True)
        if threads > 0:
            torch.set_num_threads(threads)
        transformers.logging.set_verbosity_error()
        self.versions = {"transformers": transformers.__version__,
                         "torch": torch.__version__.split("+")[0]}
        try:
            from packaging.version import Version
            new_dtype_kwarg = Version(transformers.__version__) >= Version("4.56.0")
        except ImportError:
            major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
            new_dtype_kwarg = (major, minor) >= (4, 56)
        # from_pretrained takes `dtype` since 4.56 (`torch_dtype` is deprecated in v5).
        self.dtype_kwarg = "dtype" if new_dtype_kwarg else "torch_dtype"

    def torch_dtype(self, name: str):
        return {"float32": self.torch.float32, "bfloat16": self.torch.bfloat16,
                "float16": self.torch.float16}[name]


def config_field_names(config_cls) -> set[str]:
    names = set(inspect.signature(config_cls.__init__).parameters)
    for klass in config_cls.__mro__:
        names |= set(getattr(klass, "__dataclass_fields__", None) or {})
        names |= set(vars(klass).get("__annotations__", {}) or {})
    return names


def interpreted_rope(config) -> dict:
    """The RoPE settings as the config object understood them (v5 rope_parameters, or v4
    rope_theta + rope_scaling)."""
    params = getattr(config, "rope_parameters", None)
    if isinstance(params, dict) and params:
        return dict(params)
    out = {"rope_theta": getattr(config, "rope_theta", None)}
    scaling = getattr(config, "rope_scaling", None)
    if scaling:
        out.update(scaling)
    out.setdefault("rope_type", out.get("type", "default"))
    return out


def build_config(stack: Stack, v: Variant):
    config_cls = getattr(stack.transformers, v.config_class)
    kwargs = dict(v.shape)
    if "rope_parameters" in config_field_names(config_cls) and v.rope_parameters:
        kwargs["rope_parameters"] = v.rope_parameters
        return config_cls(**kwargs)  # keyed by layer type: nothing flat to compare against
    if "rope_parameters" in config_field_names(config_cls):
        rope = {"rope_type": "default", "rope_theta": float(v.rope_theta)}
        rope.update(v.rope_scaling or {})
        kwargs["rope_parameters"] = rope
    else:
        kwargs["rope_theta"] = float(v.rope_theta)
        kwargs["rope_scaling"] = dict(v.rope_scaling) if v.rope_scaling else None
    config = config_cls(**kwargs)
    # Refuse to make goldens for a RoPE the library did not take the way we meant: type, theta
    # and factor must match; other keys (which versions may rename or fill in) are reported.
    rope = interpreted_rope(config)
    wanted = {"rope_type": "default", "rope_theta": float(v.rope_theta)}
    wanted.update(v.rope_scaling or {})
    for key, value in wanted.items():
        got = rope.get(key)
        same = got == value or (isinstance(value, float) and isinstance(got, (int, float))
                                and math.isclose(float(got), value))
        if not same and key in ("rope_type", "rope_theta", "factor"):
            raise RuntimeError(f"config took rope {key} = {got!r}, wanted {value!r}: {rope}")
        if not same:
            print(f"  note: config has rope {key} = {got!r} (asked {value!r})")
    return config


def reinitialise(stack: Stack, model, v: Variant, seed: int, profile: dict) -> None:
    torch = stack.torch
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                if "embed_tokens" in name:
                    std = profile["tied_embed_std"] if v.tied else profile["embed_std"]
                elif name.startswith("lm_head"):
                    std = profile["head_gain"] / math.sqrt(p.shape[1])
                else:
                    if "q_proj" in name or "k_proj" in name:
                        gain = profile["qk_gain"]
                    elif "o_proj" in name or "down_proj" in name:
                        gain = profile["out_gain"]
                    else:
                        gain = profile["in_gain"]
                    std = gain / math.sqrt(p.shape[1])
                p.copy_(torch.randn(tuple(p.shape), generator=gen) * std)
            elif p.dim() == 3:  # stacked experts [E, out, in] (transformers 5)
                std = profile["in_gain"] / math.sqrt(p.shape[2])
                p.copy_(torch.randn(tuple(p.shape), generator=gen) * std)
            elif p.dim() == 1 and not name.endswith(".bias") and ("norm" in name or ".ln_" in name):
                p.copy_(v.norm_center + profile["norm_noise"] * torch.randn(tuple(p.shape), generator=gen))
            elif p.dim() == 1:
                p.copy_(profile["bias_std"] * torch.randn(tuple(p.shape), generator=gen))
            else:
                raise RuntimeError(f"unexpected parameter {name} {tuple(p.shape)}")
    if v.tied:
        head, embed = model.get_output_embeddings(), model.get_input_embeddings()
        if head.weight.data_ptr() != embed.weight.data_ptr():
            model.tie_weights()
        if head.weight.data_ptr() != embed.weight.data_ptr():
            # This library version ties only at save or load time: give the head the same
            # values, so that the saved model is the same either way.
            print("  note: lm_head is not the embedding object; copying the embedding into it")
            with torch.no_grad():
                head.weight.copy_(embed.weight)


def save_model(stack: Stack, model, v: Variant, folder: str) -> None:
    model.to(stack.torch_dtype(v.dtype))
    accepted = inspect.signature(model.save_pretrained).parameters
    kwargs = {}
    if "safe_serialization" in accepted:
        kwargs["safe_serialization"] = True
    if v.max_shard_size:
        kwargs["max_shard_size"] = v.max_shard_size
    model.save_pretrained(folder, **kwargs)
    files = sorted(os.listdir(folder))
    if any(f.endswith(".bin") for f in files) or not any(f.endswith(".safetensors") for f in files):
        raise RuntimeError(f"save_pretrained did not write safetensors only: {files}")
    if v.max_shard_size and "model.safetensors.index.json" not in files:
        raise RuntimeError(f"expected shards and an index, got {files}")
    if "generation_config.json" not in files:
        write_json(os.path.join(folder, "generation_config.json"),
                   {"bos_token_id": BOS_ID, "eos_token_id": EOS_ID})
    dtypes = set(safetensors_dtypes(folder).values())
    if dtypes != {SAFETENSORS_DTYPE[v.dtype]}:
        raise RuntimeError(f"weights on disk are {dtypes}, wanted {SAFETENSORS_DTYPE[v.dtype]}")


def load_reference(stack: Stack, folder: str):
    """The float32, eager-attention, CPU model that goldens are computed with; EOS disabled."""
    torch = stack.torch
    model = stack.transformers.AutoModelForCausalLM.from_pretrained(
        folder, attn_implementation="eager", local_files_only=True,
        **{stack.dtype_kwarg: torch.float32})
    model.to("cpu")
    model.eval()
    dtypes = {p.dtype for p in model.parameters()}
    if dtypes != {torch.float32}:
        raise RuntimeError(f"reference model is not float32: {dtypes}")
    impl = getattr(model.config, "_attn_implementation", "eager")
    if impl != "eager":
        raise RuntimeError(f"reference model uses {impl} attention, not eager")
    # generate() falls back to the model's own generation_config for special tokens, so EOS
    # has to be removed there: then nothing stops early and no processor masks EOS.
    model.generation_config.eos_token_id = None
    return model


def rope_snapshot(stack: Stack, model) -> dict:
    """inv_freq and the cos/sin scaling of the loaded model, before any generation."""
    try:
        rotary = getattr(getattr(model, "model", None), "rotary_emb", None)
        if rotary is None or not hasattr(rotary, "inv_freq"):
            return {}
        scaling = getattr(rotary, "attention_scaling", None)
        return {"inv_freq": [float(x) for x in rotary.inv_freq.detach().to(stack.torch.float32)],
                "attention_scaling": float(scaling) if scaling is not None else None}
    except Exception as e:  # informational only
        return {"error": repr(e)}


def greedy_case(stack: Stack, model, prompt: list[int], steps: int) -> dict:
    torch = stack.torch
    input_ids = torch.tensor([prompt], dtype=torch.long)
    with torch.no_grad():
        out = model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                             do_sample=False, max_new_tokens=steps, min_new_tokens=steps,
                             output_logits=True, return_dict_in_generate=True)
    generated = [int(t) for t in out.sequences[0, len(prompt):]]
    if len(generated) != steps or out.logits is None or len(out.logits) != steps:
        raise RuntimeError(f"generate returned {len(generated)} tokens, wanted {steps}")
    logits = torch.stack([step[0] for step in out.logits]).to(torch.float32)
    logprobs = torch.log_softmax(logits, dim=-1)
    values, ids = torch.sort(logprobs, dim=-1, descending=True, stable=True)
    argmax = [int(t) for t in torch.argmax(logits, dim=-1)]
    if argmax != generated:
        bad = [t for t in range(steps) if argmax[t] != generated[t]]
        raise RuntimeError(f"greedy ids differ from the raw-logit argmax at steps {bad}: "
                           "a logits processor is active")
    top = [[[int(ids[t, j]), float(values[t, j])] for j in range(TOP_LOGPROBS)]
           for t in range(steps)]
    # One forward over the whole sequence without a cache: same logits up to float noise
    # (except where the model's own position handling depends on the cache; see notes).
    full = torch.tensor([prompt + generated[:-1]], dtype=torch.long)
    with torch.no_grad():
        ref = model(input_ids=full, attention_mask=torch.ones_like(full), use_cache=False).logits
    ref = ref[0, len(prompt) - 1:].to(torch.float32)
    full_argmax = [int(t) for t in torch.argmax(ref, dim=-1)]
    return {
        "prompt_ids": list(prompt),
        "greedy_ids": generated,
        "top_logprobs": top,
        "metrics": case_metrics(top, generated),
        "full_forward_max_abs_diff": float((ref - logits).abs().max()),
        "full_forward_argmax_mismatches": sum(a != b for a, b in zip(full_argmax, generated)),
    }


def make_variant(stack: Stack, v: Variant, work: str, out_models: str, base_seed: int,
                 max_attempts: int, steps: int) -> dict:
    row = {"name": v.name, "class": v.model_class, "dtype": v.dtype,
           "params": parameter_count(v), "status": "FAILED"}
    prompts = make_prompts(v)
    tried = []
    for attempt in range(max_attempts):
        seed = base_seed + 100 * (zlib.crc32(v.name.encode()) % 100000) + attempt
        profile = INIT_PROFILES[attempt % len(INIT_PROFILES)]
        folder = os.path.join(work, f"{v.name}.try{attempt}")
        shutil.rmtree(folder, ignore_errors=True)  # no stale shards from an earlier run
        stack.torch.manual_seed(seed)
        config = build_config(stack, v)
        model = getattr(stack.transformers, v.model_class)(config)
        model.eval()
        reinitialise(stack, model, v, seed, profile)
        save_model(stack, model, v, folder)
        del model
        reference = load_reference(stack, folder)
        rope = rope_snapshot(stack, reference)
        cases = [greedy_case(stack, reference, p, steps) for p in prompts]
        q = quality(cases)
        reasons = gate(q)
        print(f"  {v.name} try {attempt} (seed {seed}): median margin {q['median_margin']:.3f}, "
              f"min {q['min_margin']:.2e}, distinct >= {q['min_distinct']}, full-forward diff "
              f"{q['max_full_forward_diff']:.1e}" + (f"; retry: {'; '.join(reasons)}"
                                                     if reasons else "; ok"), flush=True)
        tried.append({"attempt": attempt, "seed": seed, "profile": profile, "folder": folder,
                      "cases": cases, "quality": q, "reasons": reasons, "rope": rope,
                      "config_rope": json_safe(interpreted_rope(reference.config))})
        del reference
        if not reasons:
            break
    best = max(tried, key=lambda t: gate_score(t["quality"]))
    final = os.path.join(out_models, v.name)
    shutil.move(best["folder"], final)
    for t in tried:
        shutil.rmtree(t["folder"], ignore_errors=True)
    on_disk = safetensors_dtypes(final)
    extra = {
        "config_rope": best["config_rope"],
        "rope": best["rope"],
        "init": {"seed": best["seed"], "attempt": best["attempt"], "profile": best["profile"]},
        "quality": best["quality"],
        "tensors_on_disk": len(on_disk),
        "lm_head_on_disk": "lm_head.weight" in on_disk,
        "notes": v.notes,
    }
    write_json(os.path.join(final, "golden.json"),
               golden_document(v.name, v.model_class, stack.versions, v.dtype, best["cases"],
                               extra))
    q = best["quality"]
    warnings = list(best["reasons"])
    if q["max_full_forward_diff"] > MAX_FULL_FORWARD_DIFF and not v.cache_sensitive:
        warnings.append("cached generate and full forward differ by "
                        f"{q['max_full_forward_diff']:.2e}")
    if v.tied and "lm_head.weight" in on_disk:
        warnings.append("tied model saved an lm_head.weight tensor")
    row.update(status="WARN" if warnings else "ok", quality=q, attempt=best["attempt"],
               disk_bytes=folder_bytes(final), warnings=warnings)
    return row


def make_stories_golden(stack: Stack, folder: str, out_dir: str, steps: int) -> dict:
    reference = load_reference(stack, folder)
    rope = rope_snapshot(stack, reference)
    case = greedy_case(stack, reference, STORIES_PROMPT, steps)
    expected = STORIES_EXPECTED[:steps]
    got = case["greedy_ids"][:len(expected)]
    first_diff = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), None)
    match = got == expected
    os.makedirs(out_dir, exist_ok=True)
    extra = {"readme_greedy_ids": expected, "matches_readme": match,
             "quality": quality([case]), "rope": rope}
    write_json(os.path.join(out_dir, "golden.json"),
               golden_document("stories260K", "LlamaForCausalLM", stack.versions, "float32",
                               [case], extra))
    return {"match": match, "first_diff": first_diff, "got": case["greedy_ids"]}


# ---------------------------------------------------------------------------------------------
# Command line


def default_stories_path() -> str | None:
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for candidate in (os.path.join(repo, "shared", "models", "stories260K"),
                      os.path.join(os.path.dirname(repo), "shared", "models", "stories260K")):
        if os.path.isfile(os.path.join(candidate, "config.json")):
            return candidate
    return None


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-tar", default="fixtures.tar.gz",
                        help="the one output file (default fixtures.tar.gz)")
    parser.add_argument("--work-dir", help="staging folder (default: a fresh temporary one)")
    parser.add_argument("--stories", help="stories260K folder for its golden (default: "
                        "shared/models/stories260K next to or inside the repo, if present)")
    parser.add_argument("--no-stories", action="store_true", help="skip the stories260K golden")
    parser.add_argument("--only", help="comma-separated variant names (default: all)")
    parser.add_argument("--steps", type=int, default=GOLDEN_STEPS,
                        help=f"greedy steps per prompt (default {GOLDEN_STEPS})")
    parser.add_argument("--max-attempts", type=int, default=8,
                        help="inits to try per variant before keeping the best (default 8)")
    parser.add_argument("--seed", type=int, default=1234, help="base seed (default 1234)")
    parser.add_argument("--threads", type=int, default=4,
                        help="torch CPU threads (default 4; 0 leaves torch's default)")
    parser.add_argument("--list", action="store_true", help="list the variants and exit")
    parser.add_argument("--dry-run", action="store_true",
                        help="check arguments, variants and packing without torch; write nothing")
    args = parser.parse_args(argv)
    names = [v.name for v in VARIANTS]
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in names]
        if unknown:
            parser.error(f"unknown variant(s) {unknown}; known: {names}")
        args.variants = [v for v in VARIANTS if v.name in wanted]
    else:
        args.variants = list(VARIANTS)
    if args.steps < 2:
        parser.error("--steps must be at least 2")
    if args.max_attempts < 1:
        parser.error("--max-attempts must be at least 1")
    if not args.out_tar.endswith((".tar.gz", ".tgz")):
        parser.error("--out-tar must end in .tar.gz or .tgz")
    if args.no_stories:
        args.stories = None
    elif args.stories is None:
        args.stories = default_stories_path()
    elif not os.path.isfile(os.path.join(args.stories, "config.json")):
        parser.error(f"--stories {args.stories}: no config.json there")
    return args


def plan(args: argparse.Namespace) -> bool:
    """Prints the variant table; returns False if a variant's spec is wrong."""
    ok = True
    total = 0
    print(f"{'variant':<20} {'class':<19} {'dtype':<8} {'params':>8} {'bytes':>9} "
          f"{'head_dim':>8}  rope")
    for v in args.variants:
        nbytes = parameter_count(v) * DTYPE_BYTES[v.dtype]
        total += nbytes
        rope = (v.rope_scaling or {}).get("rope_type", "default")
        print(f"{v.name:<20} {v.model_class:<19} {v.dtype:<8} {parameter_count(v):>8} "
              f"{nbytes:>9} {head_dim(v):>8}  {rope} theta={v.rope_theta:g}")
        for problem in check_variant(v, args.steps):
            print(f"  PROBLEM in {v.name}: {problem}")
            ok = False
    print(f"total weights on disk: {total / 1e6:.2f} MB (budget {MAX_TOTAL_MODEL_BYTES / 1e6} MB)")
    if total > MAX_TOTAL_MODEL_BYTES:
        print("  PROBLEM: over the size budget")
        ok = False
    print(f"stories260K: {args.stories or 'skipped'}")
    return ok


def self_test_packing() -> None:
    """Runs the pure-Python half (metrics, gate, golden JSON, tarball) on made-up numbers."""
    v = VARIANTS[0]
    prompts = make_prompts(v)
    assert [len(p) for p in prompts] == list(PROMPT_LENGTHS)
    assert all(p[0] == BOS_ID for p in prompts)
    rng = random.Random(0)
    cases = []
    for prompt in prompts:
        ids = [rng.randrange(v.shape["vocab_size"]) for _ in range(GOLDEN_STEPS)]
        top = [[[i, -0.1 * j - rng.random() * 0.01] for j, i in enumerate(range(TOP_LOGPROBS))]
               for _ in ids]
        cases.append({"prompt_ids": prompt, "greedy_ids": ids, "top_logprobs": top,
                      "metrics": case_metrics(top, ids), "full_forward_max_abs_diff": 1e-6,
                      "full_forward_argmax_mismatches": 0})
    q = quality(cases)
    assert gate(q), "made-up margins of ~0.1 must fail the gate"
    doc = golden_document(v.name, v.model_class, {"transformers": "x", "torch": "y"}, v.dtype,
                          cases, {"quality": q})
    with tempfile.TemporaryDirectory() as tmp:
        staging = os.path.join(tmp, "staging")
        os.makedirs(os.path.join(staging, "models", v.name))
        write_json(os.path.join(staging, "models", v.name, "golden.json"), doc)
        tar_path = os.path.join(tmp, "out.tar.gz")
        write_tarball(staging, tar_path)
        with tarfile.open(tar_path) as tar:
            names = tar.getnames()
            loaded = json.load(tar.extractfile(f"models/{v.name}/golden.json"))
    assert names == [f"models/{v.name}/golden.json"], names
    assert loaded["cases"][2]["prompt_ids"] == prompts[2]
    assert len(loaded["cases"][0]["top_logprobs"][0]) == TOP_LOGPROBS
    print(summary_table([{"name": v.name, "status": "ok", "class": v.model_class,
                          "dtype": v.dtype, "params": parameter_count(v), "disk_bytes": 1,
                          "quality": q, "attempt": 0}]))
    print("self-test of the torch-free code: ok")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.list:
        for v in VARIANTS:
            print(f"{v.name:<20} {v.notes}")
        return 0
    ok = plan(args)
    if args.dry_run:
        self_test_packing()
        print("dry run: nothing written" + ("" if ok else "; variant PROBLEMS above"))
        return 0 if ok else 1
    if not ok:
        return 1

    start = time.monotonic()
    stack = Stack(args.threads)
    print(f"transformers {stack.versions['transformers']}, torch {stack.versions['torch']}, "
          f"python {sys.version.split()[0]}, from_pretrained dtype kwarg '{stack.dtype_kwarg}'",
          flush=True)
    work = args.work_dir or tempfile.mkdtemp(prefix="tiny-models-")
    staging = os.path.join(work, "staging")
    scratch = os.path.join(work, "scratch")
    if os.path.exists(staging):
        shutil.rmtree(staging)
    out_models = os.path.join(staging, "models")
    os.makedirs(out_models)
    os.makedirs(scratch, exist_ok=True)

    rows = []
    for v in args.variants:
        print(f"== {v.name}", flush=True)
        try:
            rows.append(make_variant(stack, v, scratch, out_models, args.seed,
                                     args.max_attempts, args.steps))
        except Exception as e:  # keep going: one broken variant must not cost the others
            traceback.print_exc()
            rows.append({"name": v.name, "class": v.model_class, "dtype": v.dtype,
                         "params": parameter_count(v), "status": "FAILED", "error": repr(e)})
            shutil.rmtree(os.path.join(out_models, v.name), ignore_errors=True)

    stories = None
    if args.stories:
        print(f"== stories260K from {args.stories}", flush=True)
        try:
            stories = make_stories_golden(stack, args.stories, os.path.join(staging, "stories260K"),
                                          STORIES_STEPS)
        except Exception as e:
            traceback.print_exc()
            stories = {"match": False, "error": repr(e)}

    table = summary_table(rows)
    lines = [f"transformers {stack.versions['transformers']}, torch {stack.versions['torch']}",
             table]
    if stories is not None:
        if "error" in stories:
            lines.append(f"stories260K: FAILED {stories['error']}")
        elif stories["match"]:
            lines.append(f"stories260K: MATCH, {STORIES_STEPS} greedy ids equal the README's")
        else:
            lines.append(f"stories260K: MISMATCH at step {stories['first_diff']}: got "
                         f"{stories['got']}")
    for r in rows:
        for w in r.get("warnings", []):
            lines.append(f"WARN {r['name']}: {w}")
        if "error" in r:
            lines.append(f"FAILED {r['name']}: {r['error']}")
    summary = "\n".join(lines)
    with open(os.path.join(staging, "summary.txt"), "w") as f:
        f.write(summary + "\n")
    write_json(os.path.join(staging, "manifest.json"), {
        "versions": stack.versions, "steps": args.steps, "prompt_lengths": list(PROMPT_LENGTHS),
        "variants": rows, "stories260K": stories})
    model_bytes = folder_bytes(out_models)
    tar_bytes = write_tarball(staging, args.out_tar)
    print()
    print(summary)
    print(f"models: {model_bytes / 1e6:.2f} MB on disk; {args.out_tar}: {tar_bytes / 1e6:.2f} MB "
          f"compressed; {time.monotonic() - start:.0f} s")
    if tar_bytes > 15_000_000:
        print("WARN: tarball over 15 MB")
    if not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)
    failed = any(r["status"] == "FAILED" for r in rows) or (stories is not None
                                                             and not stories.get("match"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
