#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build the browser app and the server (release),
# and run the server with the app on http://127.0.0.1:8080/ and its SQLite database in ./tabml.db.
#
# Any arguments go to `tabml serve`, for example: scripts/start.sh --addr 127.0.0.1:9000 --db /tmp/x.db
set -euo pipefail
cd "$(dirname "$0")/.."
# One build cache outside the clone, so a second run (or a fresh clone) builds only what changed.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tabml-target}"
source scripts/setup.sh build

step "building the browser app (trunk build --release → dist/)"
trunk build --release

step "building the server (cargo build --release -p tabml-server)"
cargo build --release -p tabml-server --bin tabml

step "starting the server; open the address below in a browser, Ctrl-C stops it"
exec "$CARGO_TARGET_DIR/release/tabml" serve "$@"
