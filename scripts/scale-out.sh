#!/usr/bin/env bash
# Scale-out figures on one machine: a `nats-server -js`, a lab of DEVICES
# simulated devices, WORKERS `netrun worker` processes (CONCURRENCY tasks
# each), and `netrun run collect-facts --nats` over the lab; one worker is
# killed with SIGKILL once it has started KILL_AFTER tasks. Prints the run's
# wall time, each worker's CPU time, peak RSS and devices done, the
# gatherer's and nats-server's CPU, and the same sweep as one local process
# for comparison. Not a test: nothing is asserted; read the figures.
#
#   scripts/scale-out.sh [DEVICES] [WORKERS] [CONCURRENCY] [LATENCY] [KILL_AFTER]
#                        (defaults 1000 4 50 20ms 20)
#
# Uses the release build: cargo build --release -p netrun && scripts/build-plugins.sh
# (NETRUN_BIN=… for another binary). Needs nats-server (apt-get install nats-server).
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-1000}
workers=${2:-4}
concurrency=${3:-50}
latency=${4:-20ms}
kill_after=${5:-20}
bin=${NETRUN_BIN:-${CARGO_TARGET_DIR:-target}/release/netrun}
[ -x "$bin" ] || { echo "no $bin: cargo build --release -p netrun && scripts/build-plugins.sh" >&2; exit 1; }
command -v nats-server >/dev/null || { echo "nats-server is not installed (apt-get install nats-server)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
wait_for() { # FILE TEXT
  for _ in $(seq 1200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}
# CPU seconds (user+system) and peak RSS (MiB) of a live process.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }
hwm_mib() { awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }

port=$((20000 + RANDOM % 20000))
nats-server -js -a 127.0.0.1 -p "$port" -sd "$work/js" > "$work/nats.log" 2>&1 &
nats_pid=$!; pids+=("$nats_pid")
wait_for "$work/nats.log" "Server is ready"
url="nats://127.0.0.1:$port"

"$bin" lab --devices "$devices" --fault "latency=$latency:all" --inventory-dir "$work/lab" > "$work/lab.log" 2>&1 &
lab_pid=$!; pids+=("$lab_pid")
wait_for "$work/lab.log" ready

wpids=()
for i in $(seq "$workers"); do
  "$bin" worker --nats "$url" -i "$work/lab" --name "w$i" --concurrency "$concurrency" \
    --ack-wait 10 --log-level info --log-format json > "$work/w$i.log" 2>&1 &
  wpids+=("$!"); pids+=("$!")
done
for i in $(seq "$workers"); do wait_for "$work/w$i.log" "worker ready"; done

echo "scale-out: $devices devices (latency $latency per command), $workers workers x $concurrency, kill w1 after $kill_after tasks started"
start=$(date +%s.%N)
/usr/bin/time -f '%e %U %S %M' -o "$work/run.time" \
  "$bin" run collect-facts -i "$work/lab" --nats "$url" -o "$work/out.jsonl" > "$work/run.out" 2> "$work/run.err" &
run_pid=$!; pids+=("$run_pid")
# SIGKILL w1 once it has started KILL_AFTER tasks (its tasks in flight are redelivered).
killed_cpu=""
for _ in $(seq 6000); do
  n=$(grep -c '"task started"' "$work/w1.log" || true)
  if [ "$n" -ge "$kill_after" ]; then
    killed_cpu=$(cpu_s "${wpids[0]}"); killed_hwm=$(hwm_mib "${wpids[0]}")
    kill -KILL "${wpids[0]}"; break
  fi
  kill -0 "$run_pid" 2>/dev/null || break
  sleep 0.05
done
wait "$run_pid" || true
end=$(date +%s.%N)
wall=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b - a}')

printf '\n%-8s %8s %10s %10s %14s\n' worker devices cpu_s rss_mib cpu_ms/device
for i in $(seq "$workers"); do
  p=${wpids[$((i-1))]}
  d=$(grep -c "\"worker\":\"w$i\"" "$work/out.jsonl" || true)
  if [ "$i" = 1 ] && [ -n "$killed_cpu" ]; then c=$killed_cpu; m=$killed_hwm; note=" (SIGKILLed)"; else c=$(cpu_s "$p"); m=$(hwm_mib "$p"); note=""; fi
  per=$(awk -v c="$c" -v d="$d" 'BEGIN {if (d > 0) printf "%.1f", 1000 * c / d; else print "-"}')
  printf '%-8s %8d %10s %10s %14s%s\n' "w$i" "$d" "$c" "$m" "$per" "$note"
done
ok=$(grep -c '"status":"ok"' "$work/out.jsonl" || true)
total=$(wc -l < "$work/out.jsonl")
redelivered=$(grep -c '"deliveries":[2-9]' "$work/out.jsonl" || true)
echo
echo "run: $total records ($ok ok), $redelivered devices redelivered after the kill, wall ${wall}s, $(awk -v n="$total" -v w="$wall" 'BEGIN {printf "%.0f", n / w}') devices/s"
read -r _ gu gs grss < "$work/run.time"
echo "gatherer (netrun run --nats): cpu $(awk -v u="$gu" -v s="$gs" 'BEGIN {printf "%.2f", u + s}') s, peak rss $((grss / 1024)) MiB"
echo "nats-server: cpu $(cpu_s "$nats_pid") s, peak rss $(hwm_mib "$nats_pid") MiB; lab: cpu $(cpu_s "$lab_pid") s"
tail -n 2 "$work/run.out"

# The same sweep in one process, for comparison.
for p in "${wpids[@]:1}"; do kill "$p" 2>/dev/null || true; done
start=$(date +%s.%N)
/usr/bin/time -f '%e %U %S %M' -o "$work/local.time" "$bin" run collect-facts -i "$work/lab" \
  --concurrency $((workers * concurrency)) -o "$work/local.jsonl" > "$work/local.out" 2>&1 || true
read -r lwall lu ls lrss < "$work/local.time"
echo "one process, concurrency $((workers * concurrency)): wall ${lwall}s, cpu $(awk -v u="$lu" -v s="$ls" 'BEGIN {printf "%.2f", u + s}') s, peak rss $((lrss / 1024)) MiB, $(grep -c '"status":"ok"' "$work/local.jsonl") ok"
