#!/usr/bin/env python3
"""Host start to first reply: spawn credwell-host, send `hello`, time until the reply frame.

Usage: cargo build --release -p credwell-host && python3 scripts/bench_host_start.py [N]
No vault is opened (no Argon2id): this is the process start, runtime start and first frame.
"""
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HOST = os.environ.get("CREDWELL_HOST_BIN", os.path.join(os.path.dirname(__file__), "..", "target", "release", "credwell-host"))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 50


def once(env):
    start = time.perf_counter()
    proc = subprocess.Popen([HOST, "chrome-extension://bench/"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    body = json.dumps({"id": 1, "method": "hello", "params": {"protocol": 1}}).encode()
    proc.stdin.write(struct.pack("=I", len(body)) + body)
    proc.stdin.flush()
    length = struct.unpack("=I", proc.stdout.read(4))[0]
    reply = json.loads(proc.stdout.read(length))
    elapsed = (time.perf_counter() - start) * 1000
    assert reply.get("result", {}).get("protocol") == 1, reply
    proc.stdin.close()
    proc.wait()
    return elapsed


def main():
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, CREDWELL_VAULT=os.path.join(tmp, "vault.sqlite"))
        once(env)  # warm the page cache
        times = sorted(once(env) for _ in range(N))
    pct = lambda q: times[min(len(times) - 1, int(q * (len(times) - 1)))]
    print(f"host start to first reply over {N} starts: median {statistics.median(times):.1f} ms, "
          f"p95 {pct(0.95):.1f} ms, p99 {pct(0.99):.1f} ms, max {times[-1]:.1f} ms")


if __name__ == "__main__":
    main()
