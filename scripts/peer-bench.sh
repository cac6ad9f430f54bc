#!/usr/bin/env bash
# netrun beside the Python tools its users know, against the same simulated
# devices in one invocation: scrapli (asyncio + asyncssh) and netmiko
# (threads) each do `show version` + TextFSM parse on every device; netrun does
# `exec "show version"` (parsed by its driver), from an empty compiled-code
# cache, then warm. Client CPU, wall time and peak RSS of each process alone.
#
#   scripts/peer-bench.sh [DEVICES] [CONCURRENCY]     (default 200 100)
#
# Installs the peers, pinned, into ${NETRUN_TOOLS_DIR:-~/.cache/netrun-tools}/peer-venv.
# Uses the release build: cargo build --release -p netrun && scripts/build-plugins.sh
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-200}
concurrency=${2:-100}
netrun=${NETRUN_BIN:-${CARGO_TARGET_DIR:-target}/release/netrun}
[ -x "$netrun" ] || { echo "no $netrun: cargo build --release -p netrun && scripts/build-plugins.sh" >&2; exit 1; }

tools=${NETRUN_TOOLS_DIR:-$HOME/.cache/netrun-tools}
venv=$tools/peer-venv
pins="scrapli==2026.2.20 asyncssh==2.24.1 netmiko==4.8.0 paramiko==5.1.0 ntc-templates==9.3.0 textfsm==2.1.0 pyyaml==6.0.4"
if [ "$(cat "$venv/pins" 2>/dev/null)" != "$pins" ]; then
  echo "installing $pins into $venv"
  python3 -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $pins
  echo "$pins" > "$venv/pins"
fi

scratch=$(mktemp -d)
lab_pid=
cleanup() { [ -n "$lab_pid" ] && kill "$lab_pid" 2>/dev/null; rm -rf "$scratch"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
"$netrun" lab --devices "$devices" --inventory-dir "$scratch/lab" > "$scratch/lab.log" &
lab_pid=$!
for _ in $(seq 600); do
  grep -q "ready" "$scratch/lab.log" 2>/dev/null && break
  kill -0 "$lab_pid" 2>/dev/null || { cat "$scratch/lab.log"; exit 1; }
  sleep 0.2
done
"$venv/bin/python" tools/peer-bench/peers.py bench --netrun "$netrun" \
  --inventory-dir "$scratch/lab" --concurrency "$concurrency" --scratch "$scratch" \
  ${PEER_BENCH_JSON:+--json "$PEER_BENCH_JSON"}
