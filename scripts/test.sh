#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need
# (wasm target, OpenSSH server and its test user), builds the host and the
# plugins, checks formatting and lints, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step() { printf '\n==> %s\n' "$*"; }
# apt_install PACKAGE...
. scripts/apt-install.sh

step "toolchain"
rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

step "system packages and the OpenSSH test user"
if [ "$(id -u)" = 0 ]; then
  bash tests/sshd/setup.sh
  if ! command -v promtool >/dev/null; then
    # promtool (from Debian's prometheus package) checks the metrics exposition.
    apt_install prometheus
  fi
  if ! command -v nats-server >/dev/null; then
    # nats-server -js (Debian's package starts no daemon here) for the NATS
    # work-queue tests; each test starts its own on a free port.
    apt_install nats-server
  fi
else
  echo "not root: skipping tests/sshd/setup.sh (OpenSSH tests will be skipped)"
fi

step "plugin build tools (Python, JavaScript), cached in ${NETRUN_TOOLS_DIR:-~/.cache/netrun-tools}"
if ! command -v node >/dev/null || ! command -v python3 >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt_install nodejs npm python3-venv
  fi
fi
scripts/install-plugin-tools.sh
export NETRUN_TOOLS_DIR=${NETRUN_TOOLS_DIR:-$HOME/.cache/netrun-tools}
# The ntc-templates folder the TextFSM engine's tests run (textfsm/tests/ntc.rs).
NETRUN_NTC_TEMPLATES=$("$NETRUN_TOOLS_DIR/venv/bin/python" -c \
  'import ntc_templates.parse as p; print(p._get_template_dir())')
export NETRUN_NTC_TEMPLATES

step "format"
cargo fmt --all -- --check

step "build host and plugins"
# --workspace here and below: the same feature set, so the tests reuse this build.
cargo build --workspace
# First-party plugins, and the plugins the tests need (hostile workflow).
scripts/build-plugins.sh --tests

step "clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "docs"
# Every crate's documentation builds, its links resolved and public.
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

step "tests"
cargo test --workspace --no-fail-fast

step "soak (short): serve's RSS over a minute of polling 50 devices, reloaded every 10 s"
# The CI-sized scripts/soak.sh (the full one: 1000 devices, 30 min, release).
command -v curl >/dev/null || { [ "$(id -u)" = 0 ] && apt_install curl; }
NETRUN_BIN=target/debug/netrun WARMUP_S=20 RELOAD_EVERY_S=10 scripts/soak.sh 50 60 3s 3
