#!/usr/bin/env bash
# Runs every check credwell has: formatting, lints, unit, integration and doc tests, and (once
# they exist) the browser suites. Installs what the tests need when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/install-debs.sh
. scripts/install-debs.sh

log() { printf '\n==> %s\n' "$*" >&2; }

# One build per run: incremental caches only cost disk here (several GiB over the workspace, the
# fuzz workspace and the release builds), and a full disk is a red run for no fault of the code.
export CARGO_INCREMENTAL=0

# Debian packages the tests need beyond the Rust toolchain: chromium and firefox-esr for the
# extension suites (e2e/), openssl for the related-origins test's throwaway TLS certificate,
# postgresql for the sync server's tests (scripts/with-postgres.sh starts a throwaway cluster),
# xvfb and xclip for `credwell get --clipboard`'s test (a throwaway X display, and an independent
# program reading its clipboard); Node 20 and npm are expected on the machine.
DEB_PACKAGES=(chromium firefox-esr openssl postgresql xvfb xclip)
install_debs "${DEB_PACKAGES[@]}"

# Where cargo puts its binaries (CARGO_TARGET_DIR or the workspace's target/), asked once.
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
export CREDWELL_HOST_BIN="$TARGET_DIR/debug/credwell-host"

# What this run tests against: a fresh machine gets whatever Debian ships today.
log "versions"
{
  printf 'rustc:    %s\n' "$(rustc --version)"
  printf 'node:     %s\n' "$(node --version)"
  printf 'chromium: %s\n' "$(chromium --version 2>/dev/null | head -n1)"
  printf 'firefox:  %s\n' "$(firefox-esr --version 2>/dev/null | head -n1)"
  printf 'postgres: %s\n' "$(psql --version 2>/dev/null)"
  printf 'disk:     %s free where the build goes\n' "$(df -h --output=avail . | tail -n1 | tr -d ' ')"
} >&2

log "docs/conformance.md against docs/checklist.md and the tests"
node scripts/check-conformance.mjs

log "house rules: no tracker numbers or machine paths, src/ lines and files within bounds"
node scripts/check-tree.mjs

log "extension: type-checked (tsc, extension/tsconfig.json) and linted (eslint, extension/eslint.config.js)"
if [ ! -d extension/node_modules/typescript ] || [ ! -d extension/node_modules/@types/chrome ] ||
  [ ! -d extension/node_modules/eslint ]; then
  (cd extension && npm ci --no-audit --no-fund)
fi
(cd extension && npx --no-install tsc -p . && npx --no-install eslint .)

log "extension: the MAIN-world shim's WebIDL conversion and captured intrinsics (node --test, no browser)"
node --test extension/tests/

log "cargo deny: licenses, bans and sources (deny.toml); advisories where GitHub is reachable"
# cargo-deny is not a Debian package: built once with cargo install (minutes on 2 cores).
command -v cargo-deny >/dev/null || cargo install --locked cargo-deny@0.20.2
# --offline reads the crates from cargo's cache: fetch every platform's first (a new machine has
# none; cargo build only fetches this platform's).
cargo fetch --locked
# fuzz/ is its own workspace with its own Cargo.lock (its targets depend on the crates here):
# checked now, so that a dependency added above without it fails in seconds, not after the tests.
cargo fetch --locked --manifest-path fuzz/Cargo.toml
cargo deny --offline check --hide-inclusion-graph licenses bans sources
# The RustSec advisory database is a git repository on GitHub: checked when it can be fetched.
if timeout 20 git ls-remote https://github.com/RustSec/advisory-db HEAD >/dev/null 2>&1; then
  cargo deny check --hide-inclusion-graph advisories
else
  log "advisories not checked: the RustSec database on github.com is unreachable from here"
fi

log "cargo fmt --check"
cargo fmt --all --check

log "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

log "cargo doc (broken intra-doc links fail)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

log "cargo test (unit, integration, doc), with a throwaway PostgreSQL for the sync tests"
scripts/with-postgres.sh cargo test --workspace

log "benchmarks compile and run once (cargo test --benches)"
cargo test --workspace --benches

log "fuzz targets, briefly each (fuzz/, cargo-fuzz + libFuzzer; long runs: docs/reliability.md)"
# cargo-fuzz is not a Debian package: built once with cargo install (see docs/reliability.md).
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz@0.13.2
# fuzz/ is its own workspace (and Cargo.lock), so the workspace-wide fetch and fmt above do not
# reach it; `cargo fuzz build` has no --locked, so the locked fetch (done above, with the
# workspace's) is what holds it to the file.
cargo fmt --manifest-path fuzz/Cargo.toml --check
# `-s none`: no AddressSanitizer, so the stable toolchain builds it (the workspace forbids
# unsafe code; a panic, which is what these targets look for, is caught without a sanitizer).
# New inputs go to a scratch directory; the seeds in fuzz/corpus/ stay as committed.
FUZZ_SECONDS="${CREDWELL_FUZZ_SECONDS:-15}"
(
  cd fuzz
  cargo fuzz build -s none
  for target in $(cargo fuzz list); do
    scratch="$(mktemp -d)"
    fuzz_log="$(mktemp)"
    if ! cargo fuzz run -s none "$target" "$scratch" "corpus/$target" -- \
      -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 >"$fuzz_log" 2>&1; then
      tail -n 40 "$fuzz_log" >&2
      log "fuzz target $target failed (its crashing input is under fuzz/artifacts/$target/)"
      exit 1
    fi
    printf '%s: ' "$target" >&2
    grep -E '^Done ' "$fuzz_log" >&2 || true
    rm -rf "$scratch" "$fuzz_log"
  done
)

log "extension end to end in headless Chromium (e2e/)"
# The browser layer both the suites and the demo launch browsers with (browsers/: playwright-core,
# ws; no browser download), and the suites' relying party (@simplewebauthn/server).
if [ ! -d browsers/node_modules/playwright-core ] || [ ! -d browsers/node_modules/ws ]; then
  (cd browsers && npm ci --no-audit --no-fund)
fi
if [ ! -d e2e/node_modules/@simplewebauthn/server ]; then
  (cd e2e && npm ci --no-audit --no-fund)
fi
# Built first as `cargo build` (and so every release build) makes them: without credwell-vault's
# `insecure-test-kdf` feature, they must refuse the test-only key derivation.
cargo build -p credwell -p credwell-host
node scripts/refuses-test-kdf.mjs "$TARGET_DIR/debug"
# Then with it, for the browser suites (their throwaway vaults unlock in milliseconds). The credwell
# CLI too: the Firefox harness and demo register the host with `credwell install`.
cargo build -p credwell -p credwell-host --features credwell-vault/insecure-test-kdf
node --test --test-concurrency=1 e2e/tests/

log "extension end to end in headless Firefox ESR (e2e/firefox/, WebDriver BiDi)"
# Each test runs Firefox with HOME set to a throwaway dir (no ~/.cache/mozilla), where
# `credwell install --firefox-home` writes the host manifest.
node --test --test-concurrency=1 e2e/firefox/

log "passkeys verified by an independent relying party (interop/, @simplewebauthn/server)"
if [ ! -d interop/node_modules/@simplewebauthn/server ]; then
  (cd interop && npm ci --no-audit --no-fund)
fi
node --test --test-concurrency=1 interop/

log "browser demo: headless walkthrough of the tutorial's scenario in Chromium (demo/)"
if [ ! -d demo/node_modules/@simplewebauthn/server ]; then
  (cd demo && npm ci --no-audit --no-fund)
fi
# The test build of the host (with the test-only key derivation): the demo vault unlocks at once.
CREDWELL_DANGER_INSECURE_KDF=1 node demo/run.mjs --headless --screenshots "$(mktemp -d)"

log "browser demo: the same walkthrough in Firefox ESR (demo/, credwell install --firefox-home)"
CREDWELL_DANGER_INSECURE_KDF=1 node demo/run.mjs --browser firefox --headless --screenshots "$(mktemp -d)"

log "all checks passed"
