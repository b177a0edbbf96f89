#!/usr/bin/env bash
# Quick start, command 2: install what is missing (including Debian's chromium and chromium-driver),
# then run every check: formatting, lints (native and wasm32), the app build, and every test —
# unit tests, the server on a loopback port, and the app in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tabml-target}"
source scripts/setup.sh test

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (native, every target)"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo clippy (wasm32: the app and the core as the browser builds them)"
cargo clippy -p tabml-app -p tabml --target wasm32-unknown-unknown -- -D warnings

step "building the browser app for the browser tests (trunk build → dist/)"
trunk build

step "cargo test --workspace (screenshots land in target/screenshots/)"
log=$(mktemp)
status=0
cargo test --workspace 2>&1 | tee "$log" || status=$?
# cargo prints one summary per test binary, the last often "0 passed" (doc tests); add them up.
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' "$log"
rm -f "$log"
exit "$status"
