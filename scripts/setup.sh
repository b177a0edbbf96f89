#!/usr/bin/env bash
# Installs what building and testing tabml needs, and skips whatever is already present.
#
#   scripts/setup.sh build   the build tools: wasm32 target, trunk, wasm-bindgen-cli
#   scripts/setup.sh test    the same, plus Debian's chromium, chromium-driver and firefox-esr, and
#                            geckodriver (from crates.io), for the browser tests
#
# Sourced by scripts/start.sh and scripts/test.sh; safe to run again at any time.
set -euo pipefail

# Keep these in step with `wasm-bindgen = "=…"` in Cargo.toml: trunk uses the CLI on PATH only when the
# versions match, and otherwise tries to download its own copy (which fails without the internet).
TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130
GECKODRIVER_VERSION=0.37.1

export PATH="$HOME/.cargo/bin:$PATH"

# The tools are built once and then only run. Their own release profiles ask for fat LTO and one
# codegen unit (trunk's does), which on 2 cores costs minutes for speed a build tool never needs:
# install them with LTO off and parallel code generation instead. Each gets its own scratch target dir
# (not CARGO_TARGET_DIR) so it never contends with the project's build cache.
tool_install() {
  env -u CARGO_TARGET_DIR CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install "$@"
}

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
have_version() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q " $2\$"; }

case "${1:-build}" in
  build) want_test=0 ;;
  test) want_test=1 ;;
  *) echo "usage: scripts/setup.sh [build|test]" >&2; exit 2 ;;
esac

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo is not installed; install Rust with rustup first (https://rustup.rs)" >&2
  exit 1
fi

if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target wasm32-unknown-unknown: present"
else
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if have_version trunk "$TRUNK_VERSION"; then
  step "trunk $TRUNK_VERSION: present"
else
  step "cargo install trunk@$TRUNK_VERSION (about 9 minutes on 2 cores, once)"
  tool_install "trunk@$TRUNK_VERSION" --locked
fi

if have_version wasm-bindgen "$WASM_BINDGEN_VERSION"; then
  step "wasm-bindgen-cli $WASM_BINDGEN_VERSION: present"
else
  # Not --locked: one of its locked dependencies is missing from the crates.io mirror we can reach.
  step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes, once)"
  tool_install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if [ "$want_test" = 1 ]; then
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && [ -x /usr/bin/firefox-esr ]; then
    step "chromium, chromium-driver and firefox-esr: present"
  else
    step "apt-get install chromium chromium-driver firefox-esr"
    sudo_cmd=""
    [ "$(id -u)" != 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q chromium chromium-driver firefox-esr
  fi
  if have_version geckodriver "$GECKODRIVER_VERSION"; then
    step "geckodriver $GECKODRIVER_VERSION: present"
  else
    # Mozilla publishes geckodriver (WebDriver for Firefox) on crates.io; Debian does not package it.
    step "cargo install geckodriver $GECKODRIVER_VERSION (a few minutes, once)"
    tool_install geckodriver --version "$GECKODRIVER_VERSION" --locked
  fi
fi
