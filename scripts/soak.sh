#!/usr/bin/env bash
# Soak benchmark of the long-lived poller: `netrun serve` polling a lab of
# DEVICES simulated devices with the interface-counters workflow every
# INTERVAL for DURATION, sampling the server's RSS and the latency and size
# of a /metrics scrape every SAMPLE seconds. Prints a table, the figures at
# start and end, RSS at 5, 15 and 30 minutes, and a memory line that passes
# when the RSS at the end is within 10 % of the RSS after warm-up
# (WARMUP_S, default 300 s, at most a third of the run); exit 1 if not.
# RSS swings with each poll cycle, so each side is the highest sample of a
# window (a fifth of the samples after warm-up, at least 3): the first
# window after warm-up against the last one.
# RELOAD_EVERY_S=N edits the job and sends SIGHUP every N seconds (a reload
# must not grow it).
#
#   scripts/soak.sh [DEVICES] [DURATION_S] [INTERVAL] [SAMPLE_S]   (defaults 1000 600 5s 30)
#
# Uses the release build: cargo build --release -p netrun && scripts/build-plugins.sh
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-1000}
duration=${2:-600}
interval=${3:-5s}
sample=${4:-30}
warmup=${WARMUP_S:-300}
[ "$warmup" -gt $((duration / 3)) ] && warmup=$((duration / 3))
reload_every=${RELOAD_EVERY_S:-0}
bin=${NETRUN_BIN:-${CARGO_TARGET_DIR:-target}/release/netrun}
work=$(mktemp -d)
# A port the kernel says is free now (a random one could be taken by another
# program or be in the ephemeral range).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" lab --devices "$devices" --inventory-dir "$work/lab" > "$work/lab.log" 2>&1 &
lab_pid=$!
serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true
  kill "$lab_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 600); do grep -q ready "$work/lab.log" 2>/dev/null && break; sleep 0.1; done
# A reload edits the job (its timeout, 60 s or 61 s) so the job restarts,
# as after an operator's edit; the devices' sessions stay.
write_config() {
  cat > "$work/serve.yaml" <<YAML
listen: 127.0.0.1:$port
jobs:
  - name: counters
    workflow: interface-counters
    inventory: lab/
    interval: $interval
    jitter: 1s
    timeout: ${1}s
    concurrency: 200
YAML
}
write_config 60
"$bin" serve --config "$work/serve.yaml" --log-level warn > "$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.1; done
echo "soak: $devices devices, interval $interval, $duration s, serve pid $serve_pid, lab pid $lab_pid"
rss() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$1/status"; }
printf '%8s %9s %9s %11s %10s %12s %10s\n' t_s rss_mib lab_mib scrape_ms scrape_kib plugin_series ok_polls
start=$(date +%s)
first=""
last=""
warm_rss=""
marks=""
post=()
last_reload=0
reloads=0
while :; do
  now=$(( $(date +%s) - start ))
  for p in "$serve_pid" "$lab_pid"; do
    if [ ! -e "/proc/$p/status" ]; then
      what=lab; [ "$p" = "$serve_pid" ] && what=serve
      status=0; wait "$p" || status=$?
      echo "memory: FAIL $what (pid $p) exited with status $status at ${now} s; the end of its log:"
      tail -n 20 "$work/$what.log"
      exit 1
    fi
  done
  if [ "$reload_every" -gt 0 ] && [ $((now - last_reload)) -ge "$reload_every" ]; then
    reloads=$((reloads + 1))
    write_config $((60 + reloads % 2))
    kill -HUP "$serve_pid"
    last_reload=$now
  fi
  t=$(curl -s -o "$work/m.prom" -w '%{time_total}' "http://127.0.0.1:$port/metrics")
  ms=$(awk -v t="$t" 'BEGIN {printf "%.1f", t * 1000}')
  kib=$(( $(stat -c %s "$work/m.prom") / 1024 ))
  series=$(grep -c '^netrun_plugin_' "$work/m.prom" || true)
  ok=$(awk '/^netrun_device_results_total\{.*status="ok"/ {s += $2} END {print s + 0}' "$work/m.prom")
  line=$(printf '%8d %9d %9d %11s %10d %12d %10d' "$now" "$(rss "$serve_pid")" "$(rss "$lab_pid")" "$ms" "$kib" "$series" "$ok")
  echo "$line"
  [ -z "$first" ] && first=$line
  last=$line
  cur=$(rss "$serve_pid")
  [ "$now" -ge "$warmup" ] && post+=("$cur")
  for m in 5 15 30; do
    if [ "$now" -ge $((m * 60)) ] && ! grep -q " ${m}min=" <<< " $marks"; then marks="$marks ${m}min=${cur}MiB"; fi
  done
  end_rss=$cur
  [ "$now" -ge "$duration" ] && break
  sleep "$sample"
done
errors=$(awk '/^netrun_device_results_total\{.*status="error"/ {s += $2} END {print s + 0}' "$work/m.prom")
echo "start: $first"
echo "end:   $last"
echo "device polls with errors: $errors"
echo "rss at:${marks:- (run shorter than 5 min)}"
verdict=0
n=${#post[@]}
window=$(( n / 5 ))
[ "$window" -lt 3 ] && window=3
if [ "$n" -ge $((2 * window)) ]; then
  warm_rss=$(printf '%s\n' "${post[@]:0:window}" | sort -n | tail -1)
  end_rss=$(printf '%s\n' "${post[@]:n-window}" | sort -n | tail -1)
  growth=$(awk -v a="$warm_rss" -v b="$end_rss" 'BEGIN {printf "%.1f", (b - a) * 100 / a}')
  if awk -v g="$growth" 'BEGIN {exit !(g <= 10)}'; then
    echo "memory: PASS peak rss of the first $window samples after warm-up ${warm_rss} MiB, of the last $window ${end_rss} MiB (${growth} %, limit 10 %)"
  else
    echo "memory: FAIL peak rss of the first $window samples after warm-up ${warm_rss} MiB, of the last $window ${end_rss} MiB (${growth} %, limit 10 %)"
    verdict=1
  fi
else
  echo "memory: FAIL only $n samples after the warm-up of ${warmup} s (need $((2 * window))): run longer or sample more often"
  verdict=1
fi
if command -v promtool > /dev/null; then
  promtool check metrics < "$work/m.prom" && echo "promtool check metrics: ok"
fi
exit "$verdict"
