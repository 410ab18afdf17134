#!/usr/bin/env python3
"""`credwell get QUERY` through the agent (`credwell unlock`) against a vault of 100,000
credentials, each run a whole process, as a shell or a script would start it.

Usage: cargo build --release -p credwell --features credwell-vault/insecure-test-kdf &&
  python3 scripts/bench_agent_get.py [RUNS] [SIZE]
(defaults: 200 runs, 100000 credentials; CREDWELL_BIN names another binary).

The vault is made with the test-only key derivation and filled by one Chrome CSV import (not
timed). Then, in the same run:

- baseline `--version`: the process start alone, no vault;
- `get` without the agent: the passphrase from a file, the vault opened, unlocked, checked and
  read by the command itself (the test key derivation, so Argon2id is left out: the default
  parameters add about half a second); min(RUNS, 20) runs, each is slow;
- `unlock` (the agent starts and opens the vault) and the first `get` (the agent reads and
  indexes every record), once each;
- `get` through the agent: RUNS runs, each for a random credential's host;
- `get` through the agent right after another process wrote to the vault (the agent sees the
  new write generation and reads the records again): 5 runs.

Each line gives the median, p95 and p99 (nearest rank) and the maximum, in milliseconds; then
the agent's resident memory after the gets and at the end.
"""
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("CREDWELL_BIN", os.path.join(os.path.dirname(__file__), "..", "target", "release", "credwell"))
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
SIZE = int(sys.argv[2]) if len(sys.argv) > 2 else 100000


def run(args, env, stdin=b"", want=None):
    start = time.perf_counter()
    done = subprocess.run([BIN, *args], env=env, input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or (want is not None and done.stdout != want):
        sys.exit(f"credwell {args}: exit {done.returncode}: {done.stdout!r} {done.stderr.decode()}")
    return elapsed * 1000, done.stdout


def rank(times, q):
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))]


def report(what, times):
    print(f"| {what} | {len(times)} | {statistics.median(times):.1f} | {rank(times, 0.95):.1f} | "
          f"{rank(times, 0.99):.1f} | {max(times):.1f} |", flush=True)


def rss(vault, env):
    """The agent's resident memory in MiB."""
    _, status = run(["--json", "--vault", vault, "unlock"], env)
    with open(f"/proc/{json.loads(status)['agentPid']}/status") as f:
        return int(next(line.split()[1] for line in f if line.startswith("VmRSS:"))) // 1024


def main():
    with tempfile.TemporaryDirectory() as tmp:
        passphrase = os.path.join(tmp, "passphrase")
        with open(passphrase, "w") as f:
            f.write("bench passphrase\n")
        runtime = os.path.join(tmp, "run")
        os.mkdir(runtime, 0o700)
        vault = os.path.join(tmp, "vault.sqlite")
        base = {k: v for k, v in os.environ.items() if not k.startswith("CREDWELL_")}
        base.update(HOME=tmp, XDG_RUNTIME_DIR=runtime, CREDWELL_DANGER_INSECURE_KDF="1")
        locked = dict(base, CREDWELL_PASSPHRASE_FILE=passphrase)
        # Another process that writes beside the agent: its own runtime directory, no agent.
        other = dict(locked, XDG_RUNTIME_DIR=os.path.join(tmp, "elsewhere"))
        export = os.path.join(tmp, "chrome.csv")
        with open(export, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["name", "url", "username", "password", "note"])
            for i in range(SIZE):
                out.writerow([f"Site {i}", f"https://site{i}.example/login", f"user{i}@example.com",
                              f"pw-{i}-correct-horse", ""])
        run(["--vault", vault, "vault", "init"], locked)
        start = time.perf_counter()
        run(["--vault", vault, "import", "chrome-csv", export], locked)
        print(f"vault of {SIZE} credentials made in {time.perf_counter() - start:.1f} s", flush=True)

        def get(env, i):
            return run(["--vault", vault, "get", f"site{i}.example"], env,
                       want=f"pw-{i}-correct-horse\n".encode())[0]

        print("| command | runs | median ms | p95 ms | p99 ms | max ms |")
        print("|---|---|---|---|---|---|")
        report("baseline: `credwell --version` (process start)",
               [run(["--version"], base)[0] for _ in range(RUNS)])
        report("`get` without the agent (passphrase file, test key derivation)",
               [get(locked, random.randrange(SIZE)) for _ in range(min(RUNS, 20))])
        unlock_ms, _ = run(["--vault", vault, "unlock"], locked)
        report("`unlock` (test key derivation; the agent opens the vault)", [unlock_ms])
        try:
            report("first `get` through the agent (it reads and indexes every record)",
                   [get(base, random.randrange(SIZE))])
            report("`get` through the agent", [get(base, random.randrange(SIZE)) for _ in range(RUNS)])
            rss_served = rss(vault, base)
            after_write = []
            for n in range(5):
                run(["--vault", vault, "edit", str(SIZE - n), "--name", f"renamed {n}"], other)
                after_write.append(get(base, random.randrange(SIZE)))
            report("`get` through the agent after another process wrote", after_write)
            print(f"agent resident memory: {rss_served} MiB after the gets, {rss(vault, base)} MiB "
                  "after the records were read again 5 times")
        finally:
            run(["--vault", vault, "lock"], base)


if __name__ == "__main__":
    main()
