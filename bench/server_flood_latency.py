#!/usr/bin/env python3
"""Latency of a small completions request while clients flood the server with huge prompts.

Starts `turbine serve` on the demo model (CPU) with an API key, then, while FLOODERS clients
each post a PROMPT_MIB MiB prompt to /v1/completions over and over, times a small authenticated
/v1/completions request (max_tokens 1) TRIES times. Prints the small request's median and max
latency, the huge requests' statuses and latencies, and, for reference, the small request on an
idle server and one huge request alone (upload + JSON parse + rejection, no contention).

  python3 bench/server_flood_latency.py [--turbine build/turbine] [--model models/turbine-demo-20m]
      [--flooders 8] [--prompt-mib 30] [--tries 10]

Only the standard library (http.client, threading). The server's access log goes to
server.log in a temporary folder (its path is printed).
"""
import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

API_KEY = "bench-key"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def start_server(binary, model, log_path):
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [binary, "serve", "--model", model, "--served-model-name", "demo", "--host", "127.0.0.1", "--port", "0",
         "--api-key", API_KEY, "--device", "cpu"],
        stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server exited ({proc.returncode}); see {log_path}")
        with open(log_path, "rb") as f:
            m = re.search(rb"listening on http://[^:]+:(\d+)", f.read())
        if m:
            return proc, int(m.group(1))
        time.sleep(0.1)
    proc.kill()
    sys.exit(f"the server did not start in 120 s; see {log_path}")


def post(port, body, timeout=600):
    """POSTs `body` (bytes) to /v1/completions; returns (status, seconds, response bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    start = time.perf_counter()
    try:
        conn.request("POST", "/v1/completions", body=body,
                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"})
        response = conn.getresponse()
        data = response.read()
        return response.status, time.perf_counter() - start, data
    except (OSError, http.client.HTTPException) as e:  # a server that closes on a huge body
        return f"error: {type(e).__name__}", time.perf_counter() - start, b""
    finally:
        conn.close()


def small_body():
    return json.dumps({"model": "demo", "prompt": "It is a truth universally acknowledged, that",
                       "max_tokens": 1, "temperature": 0}).encode()


def huge_body(mib):
    # Plain words: what the tokenizer would spend the most time on.
    words = b"the quick brown fox jumps over the lazy dog "
    text = (words * ((mib << 20) // len(words) + 1))[: mib << 20]
    return b'{"model": "demo", "max_tokens": 1, "prompt": "' + text + b'"}'


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--turbine", default=os.path.join(ROOT, "build", "turbine"))
    parser.add_argument("--model", default=os.path.join(ROOT, "models", "turbine-demo-20m"))
    parser.add_argument("--flooders", type=int, default=8)
    parser.add_argument("--prompt-mib", type=int, default=30)
    parser.add_argument("--tries", type=int, default=10)
    args = parser.parse_args()

    log_dir = tempfile.mkdtemp(prefix="turbine-flood-")
    proc, port = start_server(args.turbine, args.model, os.path.join(log_dir, "server.log"))
    print(f"server on port {port} (log: {log_dir}/server.log); {os.cpu_count()} CPU cores on this machine")
    try:
        small = small_body()
        huge = huge_body(args.prompt_mib)
        for _ in range(3):  # warm up
            post(port, small)
        idle = sorted(post(port, small)[1] for _ in range(args.tries))
        status, alone, data = post(port, huge)
        print(f"idle server: small request median {statistics.median(idle) * 1e3:.1f} ms, max {idle[-1] * 1e3:.1f} ms")
        print(f"one {args.prompt_mib} MiB request alone: {status} in {alone * 1e3:.0f} ms: "
              f"{data[:300].decode(errors='replace')}")

        stop = threading.Event()
        huge_results = []  # (status, seconds)
        lock = threading.Lock()

        def flood():
            while not stop.is_set():
                status, seconds, _ = post(port, huge)
                with lock:
                    huge_results.append((status, seconds))

        threads = [threading.Thread(target=flood, daemon=True) for _ in range(args.flooders)]
        for t in threads:
            t.start()
        time.sleep(1.0)  # let the flood build up
        latencies, statuses = [], []
        for _ in range(args.tries):
            status, seconds, _ = post(port, small)
            latencies.append(seconds)
            statuses.append(status)
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join()

        latencies.sort()
        print(f"\nunder a flood of {args.flooders} clients posting {args.prompt_mib} MiB prompts:")
        print(f"  small request (max_tokens 1): median {statistics.median(latencies) * 1e3:.1f} ms, "
              f"max {latencies[-1] * 1e3:.1f} ms over {args.tries} tries; statuses {sorted(set(statuses), key=str)}")
        by_status = {}
        for status, seconds in huge_results:
            by_status.setdefault(status, []).append(seconds)
        for status, times in sorted(by_status.items(), key=lambda kv: str(kv[0])):
            times.sort()
            print(f"  huge requests: {len(times)} x {status}, latency median {statistics.median(times) * 1e3:.0f} ms, "
                  f"max {times[-1] * 1e3:.0f} ms")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
