#!/usr/bin/env python3
"""Check a safetensors model folder (or single files) without torch: the header format, the
byte layout, the shard index, and optionally the tensor names and shapes that config.json
implies, plus a sample of the stored values.

Standard library only. Written separately from make_random_model.py on purpose, so that it
checks that tool rather than repeating it.

    python3 tools/check_safetensors.py /tmp/qwen-random --expect-config --sample 2000
    python3 tools/check_safetensors.py path/to/model.safetensors

Exit status 0 when every check passes, 1 otherwise (each problem is printed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import struct
import sys

DTYPE_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2,
               "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}
MAX_HEADER_BYTES = 100 * 1024 * 1024  # the format's own limit


class Report:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, message: str) -> None:
        self.problems.append(message)
        print(f"  PROBLEM: {message}")


def read_header(path: str, report: Report) -> tuple[dict, int] | None:
    """Returns (header dict, data start) after checking the framing."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        prefix = f.read(8)
        if len(prefix) < 8:
            report.fail(f"{path}: shorter than 8 bytes")
            return None
        (header_len,) = struct.unpack("<Q", prefix)
        if header_len > MAX_HEADER_BYTES or 8 + header_len > size:
            report.fail(f"{path}: header length {header_len} is impossible for a {size}-byte file")
            return None
        raw = f.read(header_len)
    if (8 + header_len) % 8:
        report.fail(f"{path}: data starts at {8 + header_len}, not 8-byte aligned")
    if raw[:1] != b"{":
        report.fail(f"{path}: header does not start with '{{'")
    if raw.rstrip(b" ") != raw.rstrip():
        report.fail(f"{path}: header padding is not spaces")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        report.fail(f"{path}: header is not UTF-8 JSON: {e}")
        return None
    if not isinstance(header, dict):
        report.fail(f"{path}: header is not a JSON object")
        return None
    return header, 8 + header_len


def check_file(path: str, report: Report) -> dict[str, dict]:
    """Checks one file's layout; returns {name: entry} for its tensors."""
    result = read_header(path, report)
    if result is None:
        return {}
    header, data_start = result
    data_len = os.path.getsize(path) - data_start
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        report.fail(f"{path}: __metadata__ must map strings to strings")
    spans = []
    for name, entry in header.items():
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if dtype not in DTYPE_BYTES:
            report.fail(f"{path}: {name}: unknown dtype {dtype!r}")
            continue
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            report.fail(f"{path}: {name}: bad shape {shape!r}")
            continue
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(isinstance(o, int) for o in offsets) or offsets[0] > offsets[1]):
            report.fail(f"{path}: {name}: bad data_offsets {offsets!r}")
            continue
        expected = math.prod(shape) * DTYPE_BYTES[dtype]
        if offsets[1] - offsets[0] != expected:
            report.fail(f"{path}: {name}: {offsets[1] - offsets[0]} bytes for {dtype} {shape} "
                        f"(needs {expected})")
        spans.append((offsets[0], offsets[1], name))
        entry["_file"] = path
        entry["_data_start"] = data_start
    # The tensors must tile the data section exactly: no gap, no overlap, nothing after.
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            report.fail(f"{path}: {name} starts at {begin}, expected {position} "
                        f"({'gap' if begin > position else 'overlap'})")
        position = max(position, end)
    if position != data_len:
        report.fail(f"{path}: tensors cover {position} bytes of a {data_len}-byte data section")
    print(f"  {os.path.basename(path)}: {len(spans)} tensors, {data_len} data bytes, "
          f"header {data_start - 8} bytes, metadata {metadata}")
    return header


def expected_tensors(config: dict) -> dict[str, list[int]]:
    """Names and shapes that transformers' Llama/Mistral/Qwen2/Qwen3 modules hold."""
    arch = config["architectures"][0]
    h = config["hidden_size"]
    heads = config["num_attention_heads"]
    kv = config.get("num_key_value_heads", heads)
    hd = config.get("head_dim") or h // heads
    inter = config["intermediate_size"]
    vocab = config["vocab_size"]
    qkv_bias = arch == "Qwen2ForCausalLM" or config.get("attention_bias", False)
    o_bias = arch != "Qwen2ForCausalLM" and config.get("attention_bias", False)
    mlp_bias = config.get("mlp_bias", False)
    out = {"model.embed_tokens.weight": [vocab, h], "model.norm.weight": [h]}
    if not config.get("tie_word_embeddings", False):
        out["lm_head.weight"] = [vocab, h]
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        out[p + "input_layernorm.weight"] = [h]
        out[p + "post_attention_layernorm.weight"] = [h]
        for name, rows in (("q_proj", heads * hd), ("k_proj", kv * hd), ("v_proj", kv * hd)):
            out[p + f"self_attn.{name}.weight"] = [rows, h]
            if qkv_bias:
                out[p + f"self_attn.{name}.bias"] = [rows]
        out[p + "self_attn.o_proj.weight"] = [h, heads * hd]
        if o_bias:
            out[p + "self_attn.o_proj.bias"] = [h]
        if arch == "Qwen3ForCausalLM":
            out[p + "self_attn.q_norm.weight"] = [hd]
            out[p + "self_attn.k_norm.weight"] = [hd]
        for name, shape in (("gate_proj", [inter, h]), ("up_proj", [inter, h]),
                            ("down_proj", [h, inter])):
            out[p + f"mlp.{name}.weight"] = shape
            if mlp_bias:
                out[p + f"mlp.{name}.bias"] = [shape[0]]
    return out


def bf16_to_float(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits << 16))[0]


def sample_values(tensors: dict[str, dict], count: int, report: Report) -> None:
    """Reads `count` random elements of each BF16/F16/F32 tensor; checks they are finite."""
    rng = random.Random(0)
    lo_weight, hi_weight, lo_norm, hi_norm = math.inf, 0.0, math.inf, 0.0
    non_finite = 0
    handles: dict[str, object] = {}
    try:
        for name, entry in sorted(tensors.items()):
            dtype = entry["dtype"]
            if dtype not in ("BF16", "F16", "F32"):
                continue
            size = DTYPE_BYTES[dtype]
            n = math.prod(entry["shape"])
            f = handles.setdefault(entry["_file"], open(entry["_file"], "rb"))
            base = entry["_data_start"] + entry["data_offsets"][0]
            for _ in range(min(count, n)):
                k = rng.randrange(n)
                f.seek(base + k * size)
                raw = f.read(size)
                if dtype == "BF16":
                    v = bf16_to_float(int.from_bytes(raw, "little"))
                elif dtype == "F16":
                    v = struct.unpack("<e", raw)[0]
                else:
                    v = struct.unpack("<f", raw)[0]
                if not math.isfinite(v):
                    non_finite += 1
                    continue
                if "norm" in name:
                    lo_norm, hi_norm = min(lo_norm, v), max(hi_norm, v)
                else:
                    lo_weight, hi_weight = min(lo_weight, abs(v)), max(hi_weight, abs(v))
    finally:
        for f in handles.values():
            f.close()
    print(f"  sampled values: |weights| in [{lo_weight:.3g}, {hi_weight:.3g}], "
          f"norms in [{lo_norm:.3g}, {hi_norm:.3g}], non-finite {non_finite}")
    if non_finite:
        report.fail(f"{non_finite} sampled values are NaN or infinite")


def check_folder(folder: str, args: argparse.Namespace, report: Report) -> None:
    index_path = os.path.join(folder, "model.safetensors.index.json")
    tensors: dict[str, dict] = {}
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
        weight_map = index.get("weight_map", {})
        files = sorted(set(weight_map.values()))
        print(f"{folder}: sharded, {len(files)} files, {len(weight_map)} tensors in the index")
        for file_name in files:
            for name, entry in check_file(os.path.join(folder, file_name), report).items():
                if weight_map.get(name) != file_name:
                    report.fail(f"{file_name} holds {name}, which the index puts in "
                                f"{weight_map.get(name)}")
                tensors[name] = entry
        for name, file_name in weight_map.items():
            if name not in tensors:
                report.fail(f"index lists {name} in {file_name}, which does not hold it")
        total = sum(math.prod(e["shape"]) * DTYPE_BYTES[e["dtype"]] for e in tensors.values())
        declared = index.get("metadata", {}).get("total_size")
        if declared != total:
            report.fail(f"index total_size {declared} != {total} bytes of tensors")
    else:
        path = os.path.join(folder, "model.safetensors")
        print(f"{folder}: single file")
        tensors = check_file(path, report)
    if args.expect_config:
        with open(os.path.join(folder, "config.json")) as f:
            config = json.load(f)
        expected = expected_tensors(config)
        for name, shape in expected.items():
            if name not in tensors:
                report.fail(f"missing tensor {name}")
            elif tensors[name]["shape"] != shape:
                report.fail(f"{name}: shape {tensors[name]['shape']}, config implies {shape}")
        for name in tensors:
            if name not in expected:
                report.fail(f"unexpected tensor {name}")
        print(f"  config.json ({config['architectures'][0]}) implies {len(expected)} tensors")
    if args.sample:
        sample_values(tensors, args.sample, report)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="model folders or .safetensors files")
    parser.add_argument("--expect-config", action="store_true",
                        help="compare tensor names and shapes with the folder's config.json")
    parser.add_argument("--sample", type=int, default=0, metavar="N",
                        help="read N random values per tensor and check they are finite")
    args = parser.parse_args(argv)
    report = Report()
    for path in args.paths:
        if os.path.isdir(path):
            check_folder(path, args, report)
        else:
            print(path)
            tensors = check_file(path, report)
            if args.sample:
                sample_values(tensors, args.sample, report)
    print("OK" if not report.problems else f"FAILED: {len(report.problems)} problem(s)")
    return 0 if not report.problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
