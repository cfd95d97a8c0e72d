#!/usr/bin/env python3
"""A soak test of `turbine serve`: mixed traffic with disconnects for a long time, watching the
server's memory and descriptors.

Starts `turbine serve` (loopback, an API key, any free port) on a model folder, then runs client
threads until the duration is up: non-streaming and streaming completions and chat completions,
streams that the client drops after a few events, /tokenize, malformed JSON, requests without
the key, n > 1, stop strings, logprobs. Every 10 seconds it samples the server's resident memory
(VmRSS) and open descriptors (/proc/PID/fd). At the end it prints a summary: requests by outcome,
any 5xx, RSS and descriptors at the start (after warm-up), their maximum and at the end (after
the traffic stops and the server settles), and exits non-zero if the server died, answered a 5xx
other than a 503 under load, or kept descriptors open past the traffic.

  bench/server_soak.py [--turbine build/turbine] [--model models/turbine-demo-20m]
                       [--minutes 30] [--clients 8] [--out soak.json]

Only loopback traffic; every loop is bounded by the duration. Results go into docs/performance.md.
"""
import argparse
import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time

API_KEY = "soak-key"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.errors = []

    def add(self, key, error=None):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            if error and len(self.errors) < 50:
                self.errors.append(error)


def request(port, method, path, body=None, key=API_KEY, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    payload = resp.read()
    conn.close()
    return resp.status, payload


def dropped_stream(port, body, events_before_drop):
    """Starts a stream and closes the socket after a few SSE events, mid-generation."""
    raw = json.dumps(body).encode()
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              + f"Authorization: Bearer {API_KEY}\r\nContent-Length: {len(raw)}\r\n\r\n".encode() + raw)
    seen = b""
    while seen.count(b"data:") < events_before_drop:
        chunk = s.recv(4096)
        if not chunk:
            break
        seen += chunk
    s.close()
    m = re.match(rb"HTTP/1\.1 (\d+)", seen)
    return int(m.group(1)) if m else 0


def client(port, deadline, seed, tally):
    rng = random.Random(seed)
    words = "the king went to the gate and said unto them hear ye me all the acts of solomon".split()
    while time.time() < deadline:
        kind = rng.choice(["completion", "stream", "chat", "chat_stream", "drop", "tokenize", "bad_json",
                           "no_key", "n3", "stop", "logprobs"])
        prompt = " ".join(rng.choice(words) for _ in range(rng.randint(1, 60)))
        max_tokens = rng.randint(1, 48)
        try:
            if kind == "completion":
                status, _ = request(port, "POST", "/v1/completions", {"prompt": prompt, "max_tokens": max_tokens})
            elif kind == "stream":
                status, _ = request(port, "POST", "/v1/completions",
                                    {"prompt": prompt, "max_tokens": max_tokens, "stream": True})
            elif kind == "chat":
                status, _ = request(port, "POST", "/v1/chat/completions",
                                    {"messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens})
            elif kind == "chat_stream":
                status, _ = request(port, "POST", "/v1/chat/completions",
                                    {"messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens,
                                     "stream": True, "stream_options": {"include_usage": True}})
            elif kind == "drop":
                status = dropped_stream(port, {"prompt": prompt, "max_tokens": 64, "stream": True,
                                               "ignore_eos": True}, rng.randint(1, 5))
            elif kind == "tokenize":
                status, _ = request(port, "POST", "/tokenize", {"prompt": prompt})
            elif kind == "bad_json":
                status, _ = request(port, "POST", "/v1/completions", b'{"prompt": "x", "max_tokens": ')
            elif kind == "no_key":
                status, _ = request(port, "POST", "/v1/completions", {"prompt": prompt}, key=None)
            elif kind == "n3":
                status, _ = request(port, "POST", "/v1/completions",
                                    {"prompt": prompt, "max_tokens": max_tokens, "n": 3, "temperature": 0.8})
            elif kind == "stop":
                status, _ = request(port, "POST", "/v1/completions",
                                    {"prompt": prompt, "max_tokens": max_tokens, "stop": ["the", "king"]})
            else:
                status, _ = request(port, "POST", "/v1/completions",
                                    {"prompt": prompt, "max_tokens": max_tokens, "logprobs": 3, "echo": True})
            tally.add(f"{kind} {status}", None if status < 500 or status == 503 else f"{kind}: {status}")
        except Exception as e:  # a refused or reset connection is what the summary must show
            tally.add(f"{kind} exception {type(e).__name__}", f"{kind}: {e!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turbine", default="build/turbine")
    ap.add_argument("--model", default="models/turbine-demo-20m")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--out", default="")
    args = ap.parse_args()

    server = subprocess.Popen([args.turbine, "serve", "--model", args.model, "--port", "0", "--api-key", API_KEY,
                               "--device", "cpu", "--no-access-log"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    port = None
    start_wait = time.time()
    log_tail = []
    while port is None and time.time() - start_wait < 120:
        line = server.stdout.readline()
        if not line:
            break
        log_tail.append(line)
        m = re.search(r"listening on http://[^:]+:(\d+)", line)
        if m:
            port = int(m.group(1))
    if port is None:
        server.kill()
        sys.exit("the server did not start:\n" + "".join(log_tail[-20:]))
    # Keep draining the server's output so that it never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()

    # Warm-up, then the baseline.
    request(port, "POST", "/v1/completions", {"prompt": "warm up", "max_tokens": 8})
    time.sleep(1)
    base_rss, base_fds = rss_kib(server.pid), open_fds(server.pid)
    samples = [(0.0, base_rss, base_fds)]
    tally = Tally()
    t0 = time.time()
    deadline = t0 + args.minutes * 60
    threads = [threading.Thread(target=client, args=(port, deadline, i, tally)) for i in range(args.clients)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        time.sleep(10)
        if server.poll() is not None:
            break
        samples.append((time.time() - t0, rss_kib(server.pid), open_fds(server.pid)))
        print(f"{samples[-1][0]:7.0f} s  rss {samples[-1][1] / 1024:7.1f} MiB  fds {samples[-1][2]}", flush=True)
    for t in threads:
        t.join()
    alive = server.poll() is None
    time.sleep(5)  # let dropped streams' aborts and keep-alive connections settle
    end_rss = rss_kib(server.pid) if alive else -1
    end_fds = open_fds(server.pid) if alive else -1
    if alive:
        server.terminate()
        server.wait(timeout=60)

    total = sum(tally.counts.values())
    server_errors = [k for k in tally.counts if re.search(r" 5\d\d$", k) and not k.endswith(" 503")]
    result = {
        "minutes": args.minutes, "clients": args.clients, "requests": total,
        "outcomes": dict(sorted(tally.counts.items())), "errors": tally.errors,
        "rss_mib": {"start": base_rss / 1024, "max": max(s[1] for s in samples) / 1024, "end": end_rss / 1024},
        "fds": {"start": base_fds, "max": max(s[2] for s in samples), "end": end_fds},
        "server_alive": alive, "samples": samples,
    }
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=1))
    ok = alive and not server_errors and end_fds <= base_fds + 2
    print("soak: " + ("ok" if ok else "FAILED"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
