#!/usr/bin/env bash
# Runs every check credwell has: formatting, lints, unit, integration and doc tests, and (once
# they exist) the browser suites. Installs what the tests need when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*" >&2; }

# Debian packages the tests need (none yet beyond the Rust toolchain; the browser suites will add
# chromium, chromium-driver and firefox-esr here).
DEB_PACKAGES=()
missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

log "cargo fmt --check"
cargo fmt --all --check

log "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

log "cargo test (unit, integration, doc)"
cargo test --workspace

log "benchmarks compile and run once (cargo test --benches)"
cargo test --workspace --benches

log "all checks passed"
