#!/usr/bin/env python3
"""Write a Hugging Face-layout model folder with random BF16 weights, for benchmarks and loader
tests that need a real model's shapes but not its knowledge.

Standard library only (no numpy, no torch): it runs on the developer machines and in CI.

    python3 tools/make_random_model.py --preset qwen2.5-0.5b --out /tmp/qwen-random
    python3 tools/make_random_model.py --preset llama-3.1-8b --num-layers 2 --out /tmp/llama-2l
    python3 tools/make_random_model.py --preset custom --arch qwen3 --hidden-size 256 ...

The folder holds config.json, generation_config.json and model.safetensors, or, above
--max-shard-size, model-0000i-of-0000n.safetensors plus model.safetensors.index.json, as
save_pretrained writes them. No tokenizer: pair the folder with one from tests/fixtures.

How the weights are made (no per-element Python; chunks are made by --jobs processes, one per core
by default, and the bytes do not depend on the count):
random bytes come from SHAKE-128 keyed by (seed, tensor name, chunk), so the output is the same
on every machine and a tensor's values do not depend on the others or on the sharding. In each
little-endian bf16 the low byte (exponent LSB and mantissa) stays random, and the high byte
(sign and top 7 exponent bits) goes through a 256-entry bytes.translate table that bounds the
exponent: linear weights, embeddings and biases get magnitudes in [2^-9, 2^-5) ~ [0.002, 0.03)
with a random sign; norm weights get positive values in [0.5, 2). Every value is finite and
normal, so a forward pass neither overflows nor produces NaN.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import re
import sys
import time

BF16_BYTES = 2
CHUNK_ELEMENTS = 16 * 1024 * 1024  # 32 MiB of bf16 per generated chunk

PRESETS = {
    "qwen2.5-0.5b": {
        "arch": "qwen2",
        "hidden_size": 896,
        "intermediate_size": 4864,
        "num_hidden_layers": 24,
        "num_attention_heads": 14,
        "num_key_value_heads": 2,
        "head_dim": 64,
        "vocab_size": 151936,
        "tie_word_embeddings": True,
        "rope_theta": 1000000.0,
        "rms_norm_eps": 1e-6,
        "max_position_embeddings": 32768,
        "rope_scaling": None,
        "bos_token_id": 151643,
        "eos_token_id": 151643,
    },
    "llama-3.1-8b": {
        "arch": "llama",
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "head_dim": 128,
        "vocab_size": 128256,
        "tie_word_embeddings": False,
        "rope_theta": 500000.0,
        "rms_norm_eps": 1e-5,
        "max_position_embeddings": 131072,
        "rope_scaling": {
            "factor": 8.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": 8192,
            "rope_type": "llama3",
        },
        "bos_token_id": 128000,
        "eos_token_id": 128001,
    },
    # A small Llama to start a custom shape from.
    "custom": {
        "arch": "llama",
        "hidden_size": 256,
        "intermediate_size": 688,
        "num_hidden_layers": 4,
        "num_attention_heads": 8,
        "num_key_value_heads": 4,
        "head_dim": 32,
        "vocab_size": 32000,
        "tie_word_embeddings": False,
        "rope_theta": 10000.0,
        "rms_norm_eps": 1e-5,
        "max_position_embeddings": 4096,
        "rope_scaling": None,
        "bos_token_id": 1,
        "eos_token_id": 2,
    },
}

PRESETS["qwen3-30b-a3b"] = {  # Qwen3-30B-A3B's shapes: 128 experts, 8 per token (61 GB of BF16)
    "arch": "qwen3_moe",
    "hidden_size": 2048,
    "intermediate_size": 6144,
    "num_hidden_layers": 48,
    "num_attention_heads": 32,
    "num_key_value_heads": 4,
    "head_dim": 128,
    "vocab_size": 151936,
    "tie_word_embeddings": False,
    "rope_theta": 1000000.0,
    "rms_norm_eps": 1e-6,
    "max_position_embeddings": 40960,
    "rope_scaling": None,
    "bos_token_id": 151643,
    "eos_token_id": 151645,
    "num_experts": 128,
    "num_experts_per_tok": 8,
    "moe_intermediate_size": 768,
}

ARCHES = {
    # arch: (HF class, model_type, q/k/v bias, q/k norm)
    "llama": ("LlamaForCausalLM", "llama", False, False),
    "mistral": ("MistralForCausalLM", "mistral", False, False),
    "qwen2": ("Qwen2ForCausalLM", "qwen2", True, False),
    "qwen3": ("Qwen3ForCausalLM", "qwen3", False, True),
    "qwen3_moe": ("Qwen3MoeForCausalLM", "qwen3_moe", False, True),  # every layer MoE
}


# ---------------------------------------------------------------------------------------------
# Value tables


def high_byte_table(top7_choices: list[int], random_sign: bool) -> bytes:
    """Maps a random byte to a bf16 high byte: bit 7 of the input picks the sign (if random),
    its low 7 bits pick the top 7 exponent bits from top7_choices, spread evenly."""
    table = bytearray(256)
    for v in range(256):
        top7 = top7_choices[(v & 0x7F) % len(top7_choices)]
        sign = (v & 0x80) if random_sign else 0
        table[v] = sign | top7
    return bytes(table)


# Biased exponent e = (top7 << 1) | random LSB; magnitude in [2^(e-127), 2^(e-126)).
# top7 59, 60 -> e in 118..121 -> [2^-9, 2^-5).  top7 63 -> e in 126, 127 -> [0.5, 2).
WEIGHT_TABLE = high_byte_table([59, 60], random_sign=True)
NORM_TABLE = high_byte_table([63], random_sign=False)


# ---------------------------------------------------------------------------------------------
# Shapes


def tensor_list(cfg: dict) -> list[tuple[str, list[int], str]]:
    """(name, shape, kind) for every tensor, in module order; kind picks the value table."""
    _, _, qkv_bias, qk_norm = ARCHES[cfg["arch"]]
    h = cfg["hidden_size"]
    inter = cfg["intermediate_size"]
    hd = cfg["head_dim"]
    q_out = cfg["num_attention_heads"] * hd
    kv_out = cfg["num_key_value_heads"] * hd
    out = [("model.embed_tokens.weight", [cfg["vocab_size"], h], "weight")]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        out.append((p + "input_layernorm.weight", [h], "norm"))
        for name, rows in (("q_proj", q_out), ("k_proj", kv_out), ("v_proj", kv_out)):
            out.append((p + f"self_attn.{name}.weight", [rows, h], "weight"))
            if qkv_bias:
                out.append((p + f"self_attn.{name}.bias", [rows], "weight"))
        if qk_norm:
            out.append((p + "self_attn.q_norm.weight", [hd], "norm"))
            out.append((p + "self_attn.k_norm.weight", [hd], "norm"))
        out.append((p + "self_attn.o_proj.weight", [h, q_out], "weight"))
        out.append((p + "post_attention_layernorm.weight", [h], "norm"))
        if cfg.get("num_experts"):
            n = cfg["moe_intermediate_size"]
            out.append((p + "mlp.gate.weight", [cfg["num_experts"], h], "weight"))
            for e in range(cfg["num_experts"]):
                out.append((p + f"mlp.experts.{e}.gate_proj.weight", [n, h], "weight"))
                out.append((p + f"mlp.experts.{e}.up_proj.weight", [n, h], "weight"))
                out.append((p + f"mlp.experts.{e}.down_proj.weight", [h, n], "weight"))
            continue
        out.append((p + "mlp.gate_proj.weight", [inter, h], "weight"))
        out.append((p + "mlp.up_proj.weight", [inter, h], "weight"))
        out.append((p + "mlp.down_proj.weight", [h, inter], "weight"))
    out.append(("model.norm.weight", [h], "norm"))
    if not cfg["tie_word_embeddings"]:
        out.append(("lm_head.weight", [cfg["vocab_size"], h], "weight"))
    return out


def numel(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def hf_config(cfg: dict) -> dict:
    hf_class, model_type, qkv_bias, qk_norm = ARCHES[cfg["arch"]]
    config = {
        "architectures": [hf_class],
        "model_type": model_type,
        "hidden_size": cfg["hidden_size"],
        "intermediate_size": cfg["intermediate_size"],
        "num_hidden_layers": cfg["num_hidden_layers"],
        "num_attention_heads": cfg["num_attention_heads"],
        "num_key_value_heads": cfg["num_key_value_heads"],
        "vocab_size": cfg["vocab_size"],
        "hidden_act": "silu",
        "max_position_embeddings": cfg["max_position_embeddings"],
        "rms_norm_eps": cfg["rms_norm_eps"],
        "rope_theta": cfg["rope_theta"],
        "rope_scaling": cfg["rope_scaling"],
        "tie_word_embeddings": cfg["tie_word_embeddings"],
        "attention_dropout": 0.0,
        "initializer_range": 0.02,
        "bos_token_id": cfg["bos_token_id"],
        "eos_token_id": cfg["eos_token_id"],
        "torch_dtype": "bfloat16",
        "use_cache": True,
    }
    # head_dim where the real configs carry it, and wherever it is not hidden / heads.
    if cfg["arch"] in ("llama", "qwen3", "qwen3_moe") or \
            cfg["head_dim"] * cfg["num_attention_heads"] != cfg["hidden_size"]:
        config["head_dim"] = cfg["head_dim"]
    if cfg["arch"] in ("llama", "qwen3", "qwen3_moe"):
        config["attention_bias"] = False
    if cfg["arch"] == "llama":
        config["mlp_bias"] = False
        config["pretraining_tp"] = 1
    if cfg["arch"] == "qwen2":
        config["use_sliding_window"] = False
        config["sliding_window"] = cfg["max_position_embeddings"]
        config["max_window_layers"] = cfg["num_hidden_layers"]
    if cfg["arch"] == "qwen3_moe":
        for key in ("num_experts", "num_experts_per_tok", "moe_intermediate_size"):
            config[key] = cfg[key]
        config.update({"norm_topk_prob": True, "decoder_sparse_step": 1, "mlp_only_layers": [],
                       "use_sliding_window": False, "sliding_window": None,
                       "max_window_layers": cfg["num_hidden_layers"]})
    if cfg["arch"] == "qwen3":
        config["use_sliding_window"] = False
        config["sliding_window"] = None
        config["max_window_layers"] = cfg["num_hidden_layers"]
    if cfg["arch"] == "mistral":
        config["sliding_window"] = None
    return config


def generation_config(cfg: dict) -> dict:
    return {"bos_token_id": cfg["bos_token_id"], "eos_token_id": cfg["eos_token_id"]}


# ---------------------------------------------------------------------------------------------
# Writing


def parse_size(text: str) -> int:
    """'5GB' -> 5e9, '500MB', '2GiB', '100KB', or a plain byte count (HF's units)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B)?\s*", text, re.IGNORECASE)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 5GB, 500MB, 2GiB)")
    value = float(m.group(1))
    unit = (m.group(2) or "B").upper()
    scale = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
             "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}[unit]
    return int(value * scale)


def shard(tensors: list[tuple[str, list[int], str]], max_bytes: int) -> list[list]:
    """Groups tensors in module order into shards of at most max_bytes (a bigger tensor gets a
    shard of its own), as save_pretrained does."""
    shards, current, size = [], [], 0
    for t in tensors:
        nbytes = numel(t[1]) * BF16_BYTES
        if current and size + nbytes > max_bytes:
            shards.append(current)
            current, size = [], 0
        current.append(t)
        size += nbytes
    if current:
        shards.append(current)
    return shards


def safetensors_header(tensors: list[tuple[str, list[int], str]], metadata: dict) -> bytes:
    """The 8-byte length plus JSON header, padded with spaces so the data starts 8-aligned.
    Tensors are laid out in the given order, back to back."""
    header = {"__metadata__": metadata}
    offset = 0
    for name, shape, _ in tensors:
        nbytes = numel(shape) * BF16_BYTES
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)
    return len(text).to_bytes(8, "little") + text


def random_bf16(seed: int, name: str, chunk: int, count: int, table: bytes) -> bytearray:
    key = f"turbine-random-model/v1/{seed}/{name}/{chunk}".encode()
    data = bytearray(hashlib.shake_128(key).digest(count * BF16_BYTES))
    data[1::2] = data[1::2].translate(table)  # high bytes: sign and bounded exponent
    return data


def random_chunk(job: tuple) -> bytearray:
    return random_bf16(*job)


def write_safetensors(path: str, tensors: list, seed: int, metadata: dict, pool=None) -> int:
    """Chunks are independent (keyed by name and index), so a process pool may make them in
    parallel; they are written in order either way, so the bytes do not depend on the pool."""
    ordered = sorted(tensors, key=lambda t: t[0])
    jobs = []
    for name, shape, kind in ordered:
        table = NORM_TABLE if kind == "norm" else WEIGHT_TABLE
        remaining, chunk = numel(shape), 0
        while remaining:
            count = min(remaining, CHUNK_ELEMENTS)
            jobs.append((seed, name, chunk, count, table))
            remaining -= count
            chunk += 1
    written = 0
    with open(path, "wb") as f:
        f.write(safetensors_header(ordered, metadata))
        for data in (pool.imap(random_chunk, jobs) if pool else map(random_chunk, jobs)):
            f.write(data)
            written += len(data)
    return written


def write_model(cfg: dict, out_dir: str, seed: int, max_shard_bytes: int, jobs: int = 1) -> dict:
    tensors = tensor_list(cfg)
    groups = shard(tensors, max_shard_bytes)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(hf_config(cfg), f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
        json.dump(generation_config(cfg), f, indent=2)
        f.write("\n")
    metadata = {"format": "pt", "generator": "turbine tools/make_random_model.py",
                "seed": str(seed)}
    files = []
    if len(groups) == 1:
        files.append("model.safetensors")
    else:
        files = [f"model-{i + 1:05d}-of-{len(groups):05d}.safetensors" for i in range(len(groups))]
    total = 0
    pool = multiprocessing.Pool(jobs) if jobs > 1 else None
    try:
        for file_name, group in zip(files, groups):
            total += write_safetensors(os.path.join(out_dir, file_name), group, seed, metadata, pool)
            print(f"  wrote {file_name}: {len(group)} tensors", flush=True)
    finally:
        if pool:
            pool.close()
            pool.join()
    if len(groups) > 1:
        index = {
            "metadata": {"total_size": total},
            "weight_map": {name: file_name for file_name, group in zip(files, groups)
                           for name, _, _ in sorted(group)},
        }
        index["weight_map"] = dict(sorted(index["weight_map"].items()))
        with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
            json.dump(index, f, indent=2)
            f.write("\n")
    return {"files": files, "tensors": len(tensors), "bytes": total}


# ---------------------------------------------------------------------------------------------
# Command line


def build_config(args: argparse.Namespace) -> dict:
    cfg = dict(PRESETS[args.preset])
    overrides = {
        "arch": args.arch,
        "hidden_size": args.hidden_size,
        "intermediate_size": args.intermediate_size,
        "num_hidden_layers": args.num_layers,
        "num_attention_heads": args.num_heads,
        "num_key_value_heads": args.num_kv_heads,
        "head_dim": args.head_dim,
        "vocab_size": args.vocab_size,
        "tie_word_embeddings": args.tie,
        "num_experts": args.num_experts,
        "num_experts_per_tok": args.experts_per_token,
        "bos_token_id": args.bos_token_id,
        "eos_token_id": args.eos_token_id,
    }
    for key, value in overrides.items():
        if value is not None:
            cfg[key] = value
    if args.head_dim is None and (args.hidden_size is not None or args.num_heads is not None):
        cfg["head_dim"] = cfg["hidden_size"] // cfg["num_attention_heads"]
    for key in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "num_key_value_heads", "head_dim", "vocab_size"):
        if cfg[key] <= 0:
            raise SystemExit(f"error: {key} must be positive, got {cfg[key]}")
    for key in ("bos_token_id", "eos_token_id"):
        if not 0 <= cfg[key] < cfg["vocab_size"]:
            raise SystemExit(f"error: {key} {cfg[key]} is outside the vocabulary ({cfg['vocab_size']}): "
                             f"give --{key.replace('_', '-')}")
    if cfg.get("num_experts") and not 1 <= cfg["num_experts_per_tok"] <= cfg["num_experts"]:
        raise SystemExit(f"error: experts per token {cfg['num_experts_per_tok']} must be in [1, "
                         f"num_experts = {cfg['num_experts']}]")
    if cfg["num_attention_heads"] % cfg["num_key_value_heads"]:
        raise SystemExit(f"error: num_heads {cfg['num_attention_heads']} is not a multiple of "
                         f"num_kv_heads {cfg['num_key_value_heads']}")
    return cfg


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", choices=sorted(PRESETS), required=True,
                        help="shape to copy; 'custom' is a small Llama to override")
    parser.add_argument("--out", required=True, help="output folder (created)")
    parser.add_argument("--seed", type=int, default=0, help="same seed, same bytes (default 0)")
    parser.add_argument("--max-shard-size", type=parse_size, default=parse_size("5GB"),
                        help="shard above this size, like save_pretrained (default 5GB)")
    parser.add_argument("--force", action="store_true", help="write into a non-empty folder")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="processes making chunks (default: every core; the bytes are the same for any count)")
    shape = parser.add_argument_group("shape overrides (on top of the preset)")
    shape.add_argument("--arch", choices=sorted(ARCHES))
    shape.add_argument("--hidden-size", type=int)
    shape.add_argument("--intermediate-size", type=int)
    shape.add_argument("--num-layers", type=int)
    shape.add_argument("--num-heads", type=int)
    shape.add_argument("--num-kv-heads", type=int)
    shape.add_argument("--head-dim", type=int, help="default: hidden / heads when either changes")
    shape.add_argument("--vocab-size", type=int)
    shape.add_argument("--tie", action=argparse.BooleanOptionalAction, default=None,
                       help="tie lm_head to the embeddings")
    shape.add_argument("--num-experts", type=int, help="MoE presets: the experts per layer")
    shape.add_argument("--experts-per-token", type=int, help="MoE presets: the experts each token uses")
    shape.add_argument("--bos-token-id", type=int, help="when pairing the folder with another tokenizer")
    shape.add_argument("--eos-token-id", type=int, help="when pairing the folder with another tokenizer")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    cfg = build_config(args)
    tensors = tensor_list(cfg)
    total = sum(numel(shape) for _, shape, _ in tensors)
    groups = shard(tensors, args.max_shard_size)
    print(f"{args.preset} ({ARCHES[cfg['arch']][0]}): {len(tensors)} tensors, "
          f"{total / 1e6:.1f}M parameters, {total * BF16_BYTES / 1e9:.3f} GB of BF16 "
          f"in {len(groups)} file(s)")
    if args.dry_run:
        print(json.dumps(hf_config(cfg), indent=2))
        return 0
    if os.path.isdir(args.out) and os.listdir(args.out) and not args.force:
        print(f"error: {args.out} is not empty (use --force to write into it)", file=sys.stderr)
        return 1
    start = time.monotonic()
    result = write_model(cfg, args.out, args.seed, args.max_shard_size, max(args.jobs, 1))
    seconds = time.monotonic() - start
    print(f"done: {result['bytes'] / 1e9:.3f} GB in {seconds:.1f} s "
          f"({result['bytes'] / 1e6 / max(seconds, 1e-9):.0f} MB/s) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
