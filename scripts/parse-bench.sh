#!/usr/bin/env bash
# Benchmark of TextFSM parsing (issue 14): `netrun parse` as a whole process
# against Python textfsm 2.1.0 (pre-compiled TextFSM, and ntc-templates'
# parse_output) on generated large outputs: 5,000-row `show ip interface
# brief`, 500-block `show interfaces`, and `show version`. Prints MB/s and
# the ratios. Not a test: numbers depend on the machine.
#   scripts/parse-bench.sh [--runs N] [--scale N] [--clock wall|cpu] [--json]
# NETRUN_BIN overrides the binary (default: a release build, built here).
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${NETRUN_TOOLS_DIR:-$HOME/.cache/netrun-tools}
scripts/install-plugin-tools.sh >/dev/null
bin=${NETRUN_BIN:-target/release/netrun}
if [ -z "${NETRUN_BIN:-}" ]; then
  cargo build --release -p netrun --quiet
fi
exec "$tools/venv/bin/python" scripts/parse_bench.py --netrun "$bin" "$@"
