#!/usr/bin/env python3
"""Writes the seed corpora of the loader fuzz targets (corpus/safetensors, corpus/shard_index).

The seeds are committed; rerun this only to change them. Standard library only, deterministic.
Valid seeds show the fuzzer the shape of real files; invalid ones start it next to each check.
"""
import json
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent
DTYPE_SIZE = {"F32": 4, "BF16": 2, "F16": 2, "I64": 8, "F8_E4M3": 1}


def safetensors(tensors, metadata=None, pad=True):
    """tensors: list of (name, dtype, shape). Data bytes are a counting pattern."""
    header, offset = {}, 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape in tensors:
        numel = 1
        for d in shape:
            numel *= d
        size = numel * DTYPE_SIZE[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-(8 + len(text)) % 8)
    return raw(text, bytes(i % 251 for i in range(offset)))


def raw(header_text, data=b""):
    if isinstance(header_text, str):
        header_text = header_text.encode()
    return struct.pack("<Q", len(header_text)) + header_text + data


def llama_like():
    tensors = [("model.embed_tokens.weight", "BF16", [8, 4]), ("model.norm.weight", "BF16", [4])]
    for layer in range(2):
        p = f"model.layers.{layer}."
        tensors += [
            (p + "input_layernorm.weight", "BF16", [4]),
            (p + "self_attn.q_proj.weight", "BF16", [4, 4]),
            (p + "self_attn.k_proj.weight", "BF16", [2, 4]),
            (p + "mlp.down_proj.weight", "BF16", [4, 6]),
        ]
    return safetensors(tensors, {"format": "pt"})


def safetensors_seeds():
    entry = '{{"t":{{"dtype":{},"shape":{},"data_offsets":{}}}}}'
    return {
        "valid_f32_matrix": safetensors([("w", "F32", [2, 3])]),
        "valid_mixed_dtypes_metadata": safetensors(
            [("a", "F32", [2]), ("b", "BF16", [3, 1]), ("c", "F16", [1])], {"format": "pt"}),
        "valid_scalar_and_empty": safetensors([("s", "F32", []), ("z", "F16", [0, 3])]),
        "valid_no_tensors": safetensors([]),
        "valid_unpadded": safetensors([("w", "F16", [3])], pad=False),
        "valid_llama_like": llama_like(),
        "bad_dtype_i64": safetensors([("ids", "I64", [2])]),
        "bad_dtype_f8": safetensors([("q", "F8_E4M3", [4])]),
        "bad_negative_dim": raw(entry.format('"F32"', "[-1]", "[0,4]"), bytes(4)),
        "bad_overflow_shape": raw(entry.format('"F32"', "[4294967296,4294967296]", "[0,4]"), bytes(4)),
        "bad_length_mismatch": raw(entry.format('"F32"', "[3]", "[0,8]"), bytes(8)),
        "bad_end_before_begin": raw(entry.format('"F32"', "[0]", "[8,0]"), bytes(8)),
        "bad_truncated_data": raw(entry.format('"F32"', "[4]", "[0,16]"), bytes(10)),
        "bad_overlap": raw('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                           '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', bytes(12)),
        "bad_hole": raw('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                        '"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', bytes(12)),
        "bad_duplicate_key": raw('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                 '"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4)),
        "bad_metadata_number": raw('{"__metadata__":{"format":1}}'),
        "bad_missing_fields": raw('{"t":{"dtype":"F32"}}'),
        "bad_not_json": raw("{this is not json"),
        "bad_header_length_huge": struct.pack("<Q", 1 << 40) + b"{}",
        "bad_short": b"\x02\x00\x00",
    }


def shard_index_seeds():
    shard1, shard2 = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"
    good = {"metadata": {"total_size": 1024},
            "weight_map": {"model.embed_tokens.weight": shard1, "model.norm.weight": shard2,
                           "model.layers.0.mlp.up_proj.weight": shard1}}
    return {
        "valid_two_shards.json": json.dumps(good, indent=2).encode(),
        "bad_no_weight_map.json": b'{"metadata": {"total_size": 1}}',
        "bad_path_traversal.json": b'{"weight_map": {"a": "../secret.safetensors"}}',
        "bad_shard_not_string.json": b'{"weight_map": {"a": 7}}',
        "bad_duplicate.json": b'{"weight_map": {"a": "x.safetensors", "a": "y.safetensors"}}',
    }


def main():
    for folder, seeds in (("safetensors", safetensors_seeds()), ("shard_index", shard_index_seeds())):
        out = HERE / "corpus" / folder
        out.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (out / name).write_bytes(data)


if __name__ == "__main__":
    main()
