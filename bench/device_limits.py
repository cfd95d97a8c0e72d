#!/usr/bin/env python3
"""The GPU's own ceilings, measured in the same call as the benchmarks they judge:
device-to-device copy bandwidth (bytes read + written over a 1 GiB copy) and the
dense BF16 matrix rate (an 8192^3 product on random data), each the median of timed repeats
after a warm-up, timed with CUDA events.

    python3 bench/device_limits.py [--out FILE.json]

Prints and writes {"device", "copy_gb_per_s", "bf16_tflops", "torch"}.
"""

from __future__ import annotations

import argparse
import json
import statistics


def timed(fn, repeats: int) -> float:
    import torch
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out")
    args = parser.parse_args()
    import torch

    n = 1 << 30
    src = torch.randint(0, 255, (n,), dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    copy_s = timed(lambda: dst.copy_(src), 20)
    del src, dst

    m = 8192
    a = torch.randn(m, m, dtype=torch.bfloat16, device="cuda")
    b = torch.randn(m, m, dtype=torch.bfloat16, device="cuda")
    mm_s = timed(lambda: torch.mm(a, b), 20)

    result = {
        "device": torch.cuda.get_device_name(),
        "copy_gb_per_s": 2 * n / copy_s / 1e9,
        "bf16_tflops": 2 * m**3 / mm_s / 1e12,
        "torch": torch.__version__,
    }
    print(json.dumps(result))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
