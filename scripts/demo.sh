#!/usr/bin/env bash
# credwell's browser demo (demo/README.md): installs what is missing, builds the native host, and
# runs demo/run.mjs with this script's arguments. Without a display (DISPLAY unset) or with
# --headless it walks through the tutorial's scenario in headless Chromium and prints a
# transcript; with a display it opens Chromium with credwell's extension for you to use.
# `--browser firefox` does the same in Debian's Firefox ESR.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/install-debs.sh
. scripts/install-debs.sh

log() { printf '==> %s\n' "$*" >&2; }

# Debian's chromium, and firefox-esr for `--browser firefox` (never a downloaded browser); Node 20
# and npm are expected on the machine.
DEB_PACKAGES=(chromium)
for arg in "$@"; do
  [ "$arg" = "firefox" ] && DEB_PACKAGES+=(firefox-esr)
done
install_debs "${DEB_PACKAGES[@]}"

if [ ! -d browsers/node_modules/playwright-core ] || [ ! -d browsers/node_modules/ws ]; then
  log "npm ci (browsers/: playwright-core and ws, no browser download)"
  (cd browsers && npm ci --no-audit --no-fund)
fi
if [ ! -d demo/node_modules/@simplewebauthn/server ]; then
  log "npm ci (demo/: @simplewebauthn/server, the Example Site's passkey checks)"
  (cd demo && npm ci --no-audit --no-fund)
fi

log "cargo build --release -p credwell-host -p credwell"
cargo build --release -p credwell-host -p credwell

target="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
if [ -z "${CREDWELL_HOST_BIN:-}" ]; then
  export CREDWELL_HOST_BIN="$target/release/credwell-host"
fi
# The Firefox demo registers the host with the real `credwell install --firefox-home`.
if [ -z "${CREDWELL_BIN:-}" ]; then
  export CREDWELL_BIN="$target/release/credwell"
fi
exec node demo/run.mjs "$@"
