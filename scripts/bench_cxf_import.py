#!/usr/bin/env python3
"""`credwell import cxf` time against the number of items: is it linear?

Usage: cargo build --release -p credwell --features credwell-vault/insecure-test-kdf &&
  python3 scripts/bench_cxf_import.py [--parse-only | --conflicts] [RUNS] [SIZES...]
(defaults: 5 runs of 5000 10000 20000 40000 items; CREDWELL_BIN names another binary).

--conflicts: each run imports a file of SIZE items into a new vault (not timed), then times the
import of a second file with the same SIZE logins against that vault: half with a new password
and a newer modifiedAt (updated, the old password into the history), a quarter with another
password but an older modifiedAt (kept out by the default --on-conflict newer), a quarter
unchanged. That is the conflict
detection of every row against a vault of SIZE credentials, and the writes it decides. In the
same run, the baselines: the process start (`--version`), the first file imported again (all
unchanged, nothing written) and the second with --dry-run; and the import of the second file
through the agent (`credwell unlock`, into another new vault). Median, p95, p99 (nearest rank),
min and max of each.

For each size, a CXF file of that many login items (one basic-auth credential, one URL each) is
imported RUNS times, each time into a new vault (made with the test-only key derivation, not
timed): "import" is the whole command. "parse" imports the same file with its last item made
malformed (a passkey whose key is not PKCS#8): every item is read, then the import is refused
before the vault is opened, which times the reading alone.
"""
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("CREDWELL_BIN", os.path.join(os.path.dirname(__file__), "..", "target", "release", "credwell"))
ARGS = [a for a in sys.argv[1:] if a not in ("--parse-only", "--conflicts")]
PARSE_ONLY = "--parse-only" in sys.argv[1:]
CONFLICTS = "--conflicts" in sys.argv[1:]
RUNS = int(ARGS[0]) if ARGS else 5
SIZES = [int(s) for s in ARGS[1:]] or [5000, 10000, 20000, 40000]


def b64(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def cxf(n, malformed_last, changed=False):
    items = []
    for i in range(n):
        password, modified = f"pw-{i}-correct-horse", 1704067200
        if changed and i % 4 in (0, 1):
            password, modified = f"pw-{i}-changed", 1735689600
        elif changed and i % 4 == 2:
            password, modified = f"pw-{i}-stale", 1600000000
        item = {
            "id": b64(f"item-{i}"),
            "creationAt": 1600000000,
            "modifiedAt": modified,
            "title": f"Site {i}",
            "scope": {"urls": [f"https://site{i}.example/login"], "androidApps": []},
            "credentials": [{
                "type": "basic-auth",
                "username": {"fieldType": "string", "value": f"user{i}@example.com"},
                "password": {"fieldType": "concealed-string", "value": password},
            }],
        }
        items.append(item)
    if malformed_last:
        items[-1]["credentials"].append({
            "type": "passkey", "credentialId": b64("cred"), "rpId": "example.com", "username": "u",
            "userDisplayName": "", "userHandle": b64("user"), "key": "AAAA",
        })
    return json.dumps({
        "version": {"major": 1, "minor": 0}, "exporterRpId": "bench.example",
        "exporterDisplayName": "bench", "timestamp": 1735689600,
        "accounts": [{"id": b64("account"), "username": "", "email": "", "collections": [], "items": items}],
    }, indent=2)


def timed(args, env, want_ok):
    start = time.perf_counter()
    done = subprocess.run([BIN, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if (done.returncode == 0) != want_ok or (not want_ok and b"nothing was imported" not in done.stderr):
        sys.exit(f"credwell {args}: exit {done.returncode}: {done.stderr.decode()}")
    return elapsed


def rank(times, q):
    """The nearest-rank percentile q of times."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))]


def conflicts(tmp, env, n, good, changed):
    """--conflicts: the import against a vault of n, with its baselines in the same run, each
    run into a new vault (made and filled untimed); locally and through the agent."""
    runtime = os.path.join(tmp, "run")
    os.makedirs(runtime, mode=0o700, exist_ok=True)
    env = dict(env, XDG_RUNTIME_DIR=runtime)
    times = {k: [] for k in ("version", "same", "dry", "import", "agent")}
    for run in range(RUNS):
        vault = os.path.join(tmp, f"vault-{n}-{run}.sqlite")
        timed(["--vault", vault, "vault", "init"], env, True)
        timed(["--vault", vault, "import", "cxf", good], env, True)
        times["version"].append(timed(["--version"], env, True))
        times["same"].append(timed(["--vault", vault, "import", "cxf", good], env, True))
        times["dry"].append(timed(["--vault", vault, "import", "cxf", changed, "--dry-run"], env, True))
        times["import"].append(timed(["--vault", vault, "import", "cxf", changed], env, True))
        os.remove(vault)
        # The same import through the agent (`credwell unlock`): no passphrase, no key derivation.
        timed(["--vault", vault, "vault", "init"], env, True)
        timed(["--vault", vault, "import", "cxf", good], env, True)
        timed(["--vault", vault, "unlock"], env, True)
        agent_env = {k: v for k, v in env.items() if k != "CREDWELL_PASSPHRASE_FILE"}
        times["agent"].append(timed(["--vault", vault, "import", "cxf", changed], agent_env, True))
        timed(["--vault", vault, "lock"], env, True)
        os.remove(vault)
    print(f"{n} items against a vault of {n}, {RUNS} runs (seconds):")
    print("| command | median | p95 | p99 | min | max |")
    print("|---|---|---|---|---|---|")
    for key, what in [
        ("version", "baseline: `credwell --version` (process start)"),
        ("same", "baseline: the first file again (read, checked, planned; all unchanged, nothing written)"),
        ("dry", "baseline: the changed file with `--dry-run` (read, checked, planned, nothing written)"),
        ("import", f"**the changed file: {n // 2} updated, {n // 4} kept out, {n // 4} unchanged**"),
        ("agent", "the same import through the agent (`credwell unlock`)"),
    ]:
        t = times[key]
        print(f"| {what} | {statistics.median(t):.3f} | {rank(t, 0.95):.3f} | {rank(t, 0.99):.3f} | "
              f"{min(t):.3f} | {max(t):.3f} |", flush=True)


def main():
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        passphrase = os.path.join(tmp, "passphrase")
        with open(passphrase, "w") as f:
            f.write("bench passphrase\n")
        env = dict(os.environ, CREDWELL_PASSPHRASE_FILE=passphrase, CREDWELL_DANGER_INSECURE_KDF="1",
                   HOME=tmp)
        for n in SIZES:
            good, bad = os.path.join(tmp, f"{n}.json"), os.path.join(tmp, f"{n}-bad.json")
            with open(good, "w") as f:
                f.write(cxf(n, False))
            with open(bad, "w") as f:
                f.write(cxf(n, True))
            if CONFLICTS:
                changed = os.path.join(tmp, f"{n}-changed.json")
                with open(changed, "w") as f:
                    f.write(cxf(n, False, changed=True))
                conflicts(tmp, env, n, good, changed)
                continue
            imports, parses = [], []
            for run in range(RUNS):
                vault = os.path.join(tmp, f"vault-{n}-{run}.sqlite")
                if not PARSE_ONLY:
                    timed(["--vault", vault, "vault", "init"], env, True)
                    imports.append(timed(["--vault", vault, "import", "cxf", good], env, True))
                parses.append(timed(["--vault", vault, "import", "cxf", bad], env, False))
            results[n] = {"parse": parses, "import": imports}
            print(f"{n:>7} items: " + "; ".join(
                f"{mode} median {statistics.median(t):.3f} s (min {min(t):.3f}, max {max(t):.3f})"
                for mode, t in results[n].items() if t), flush=True)
    if 10000 in results and 40000 in results:
        print("40k / 10k: " + ", ".join(
            f"{mode} {statistics.median(results[40000][mode]) / statistics.median(results[10000][mode]):.2f}x"
            for mode in ("parse", "import") if results[10000][mode]) + " (linear: 4x, quadratic: 16x)")


if __name__ == "__main__":
    main()
