#!/usr/bin/env bash
# Benchmark of TextFSM parsing (issue 14): `netrun parse` as a whole process
# against Python textfsm 2.1.0 (pre-compiled TextFSM, and ntc-templates'
# parse_output) on generated large outputs: 5,000-row `show ip interface
# brief`, 500-block `show interfaces`, and `show version`. Prints MB/s and
# the ratios. Not a test: numbers depend on the machine.
#   scripts/parse-bench.sh [--runs N] [--scale N] [--clock wall|cpu] [--json]
# NETRUN_BIN overrides the binary (default: a release build, built here).
# The binary timed is a copy of it in a scratch folder, as `cargo install`
# or a package puts it: the file the linker wrote in target/ started
# 0.2–0.6 ms slower than the same bytes copied (`perf stat -r 40 netrun
# --version`, 2026-12-06: 2.66–2.77 against 2.20 ms), the page cache
# holding it as the linker left it.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${NETRUN_TOOLS_DIR:-$HOME/.cache/netrun-tools}
scripts/install-plugin-tools.sh >/dev/null
bin=${NETRUN_BIN:-target/release/netrun}
if [ -z "${NETRUN_BIN:-}" ]; then
  cargo build --release -p netrun --quiet
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
install -m 755 "$bin" "$scratch/netrun"
"$tools/venv/bin/python" scripts/parse_bench.py --netrun "$scratch/netrun" "$@"
