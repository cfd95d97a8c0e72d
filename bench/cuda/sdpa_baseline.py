#!/usr/bin/env python3
"""PyTorch's scaled_dot_product_attention (flash backend) at bench_cuda_ops' attention shapes.

The baseline for Turbine's paged attention: Llama-3-8B heads (32 query, 8 KV, head_dim 128), BF16,
dense (not paged) K/V of [batch, kv_heads, ctx, 128]. Timed like bench_cuda_ops: 20+ calls
captured in a CUDA graph and replayed (events, median of 5 replays), the K/V rotated over enough
copies (>= 512 MB in all) that they are not L2-resident. GQA goes through enable_gqa=True when
the flash backend takes it, else K/V are expanded to 32 heads first (outside the timing; the
kernel then reads 4x the bytes, the GB/s column still counts the 8-head K/V once).
Decode (q_len 1) is non-causal over the whole context; prefill (q_len == ctx) is causal. A
chunk on cached context (q_len < ctx, causal at the bottom right) has no flash SDPA form and is
skipped.

  python3 bench/cuda/sdpa_baseline.py
"""
import math
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

HEADS, KV_HEADS, D = 32, 8, 128
CASES = [(1, 1024, 1), (1, 8192, 1), (8, 4096, 1), (64, 1024, 1), (64, 4096, 1), (256, 1024, 1),
         (1, 2048, 2048), (4, 1024, 1024), (1, 4096, 512)]


def time_graph(calls):
    """Median per-call microseconds of a CUDA graph of `calls`."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for c in calls:
            c()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for c in calls:
            c()
    graph.replay()
    times = []
    for _ in range(5):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) * 1000.0 / len(calls))
    return sorted(times)[len(times) // 2]


def main():
    torch.manual_seed(0)
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(dev)
    print(f"device {props.name}, {props.multi_processor_count} SMs, torch {torch.__version__}")
    # The memory ceiling: a large device-to-device copy (bytes read + written).
    big = torch.empty(1 << 30, dtype=torch.uint8, device=dev)
    dst = torch.empty_like(big)
    copy_us = time_graph([lambda: dst.copy_(big)] * 10)
    print(f"device-to-device copy 1 GiB: {2 * big.numel() / copy_us * 1e-3:.0f} GB/s (read + write)")
    del big, dst

    print(f"\n{'sdpa flash 32/8 heads d=128':38} {'gqa':>8} {'us':>10} {'TFLOP/s':>9} {'GB/s':>8}")
    for batch, ctx, q_len in CASES:
        name = f"batch={batch} ctx={ctx} q_len={q_len}"
        if q_len != 1 and q_len != ctx:
            print(f"{name:38} {'n/a':>8}   (no flash form for a causal chunk on cached context)")
            continue
        kv_bytes = 2.0 * batch * ctx * KV_HEADS * D * 2
        copies = int(min(max(math.ceil(512e6 / kv_bytes), 1), 64))
        q = torch.empty(batch, HEADS, q_len, D, dtype=torch.bfloat16, device=dev).uniform_(-1, 1)
        kvs = [(torch.empty(batch, KV_HEADS, ctx, D, dtype=torch.bfloat16, device=dev).uniform_(-1, 1),
                torch.empty(batch, KV_HEADS, ctx, D, dtype=torch.bfloat16, device=dev).uniform_(-1, 1))
               for _ in range(copies)]
        causal = q_len > 1
        mode = "native"
        try:
            with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                F.scaled_dot_product_attention(q, kvs[0][0], kvs[0][1], is_causal=causal, enable_gqa=True)
            torch.cuda.synchronize()
        except RuntimeError:
            mode = "expanded"
            kvs = [(k.repeat_interleave(HEADS // KV_HEADS, dim=1), v.repeat_interleave(HEADS // KV_HEADS, dim=1))
                   for k, v in kvs]

        def call(i):
            k, v = kvs[i % copies]

            def run():
                with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                    F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=(mode == "native"))
            return run

        us = time_graph([call(i) for i in range(max(20, copies))])
        pairs = batch * (q_len * (ctx - q_len) + 0.5 * q_len * (q_len + 1))
        flops = 4.0 * HEADS * D * pairs
        nbytes = kv_bytes + 2.0 * batch * q_len * HEADS * D * 2
        print(f"{name:38} {mode:>8} {us:10.1f} {flops / us * 1e-6:9.1f} {nbytes / us * 1e-3:8.0f}")
        del kvs, q
        torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
