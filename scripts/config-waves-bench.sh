#!/usr/bin/env bash
# The configuration figure: DEVICES simulated devices changed in waves with
# examples/ntp.j2 (canary, then waves), measured with GNU time: wall, CPU
# (user+sys) and peak RSS of the `netrun config push` process. Then the
# same push again (nothing to send: every device reports changed: false).
# Not a test: nothing is asserted; read the figures.
#
#   scripts/config-waves-bench.sh [DEVICES] [CANARY] [WAVE_SIZE] [CONCURRENCY]   (defaults 1000 10 250 200)
#
# NETRUN_BIN picks the binary (default: target/release/netrun, else target/debug/netrun).
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-1000}
canary=${2:-10}
wave=${3:-250}
concurrency=${4:-200}
target=${CARGO_TARGET_DIR:-target}
bin=${NETRUN_BIN:-}
if [ -z "$bin" ]; then
  if [ -x "$target/release/netrun" ]; then bin=$target/release/netrun; else bin=$target/debug/netrun; fi
fi
plugins=$target/plugins
work=$(mktemp -d)
"$bin" lab --devices "$devices" --inventory-dir "$work/lab" > "$work/lab.log" 2>&1 &
lab_pid=$!
cleanup() {
  kill "$lab_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1200); do grep -q ready "$work/lab.log" 2>/dev/null && break; sleep 0.1; done
ulimit -n 20000 2>/dev/null || true
measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$bin" --plugin-dir "$plugins" "$@" > "$work/$name.out" 2>&1 || true
  read -r wall user sys rss < "$work/time"
  local ok changed
  ok=$(grep -c '"status":"ok"' "$work/$name.jsonl" || true)
  changed=$(grep -c '"changed":true' "$work/$name.jsonl" || true)
  awk -v n="$name" -v d="$devices" -v ok="$ok" -v ch="$changed" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" \
    'BEGIN { printf "%-6s %5d devices  %5d ok  %5d changed  wall %7.2fs  cpu %7.2fs  peak RSS %6.1f MiB\n", n, d, ok, ch, w, u + s, r / 1024 }'
}
echo "binary: $bin; waves: canary $canary, then $wave per wave; concurrency $concurrency"
measure push config push -i "$work/lab" --template examples/ntp.j2 --canary "$canary" \
  --wave-size "$wave" --concurrency "$concurrency" -o "$work/push.jsonl"
measure again config push -i "$work/lab" --template examples/ntp.j2 --canary "$canary" \
  --wave-size "$wave" --concurrency "$concurrency" -o "$work/again.jsonl"
tail -n 2 "$work/push.out"
