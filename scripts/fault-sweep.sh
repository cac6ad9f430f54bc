#!/usr/bin/env bash
# A sweep over a simulated fleet where one device in ten misbehaves (every
# tenth device, the lab's fault knobs in turn), with default timeouts and
# retries: prints the wall time and the count of records per class, and
# checks that every device got exactly one record and every healthy one ok.
#
#   scripts/fault-sweep.sh [DEVICES] [CONCURRENCY]     (defaults 1000, 100)
#
# Uses the release build: cargo build --release -p netrun && scripts/build-plugins.sh
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-1000}
concurrency=${2:-100}
bin=${NETRUN_BIN:-${CARGO_TARGET_DIR:-target}/release/netrun}
work=$(mktemp -d)
faults=(refuse auth-reject hang-before-banner garbage-banner hang-after-login
  drop-mid-output drip=300 latency=500ms flap=20s)
width=${#devices}; [ "$width" -lt 3 ] && width=3
args=()
k=0
for ((i = 10; i <= devices; i += 10)); do
  name=$(printf "r%0${width}d" "$i")
  args+=(--fault "${faults[k % ${#faults[@]}]}:$name")
  k=$((k + 1))
done
"$bin" lab --devices "$devices" --inventory-dir "$work" "${args[@]}" > "$work/lab.log" &
lab_pid=$!
trap 'kill $lab_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 300); do grep -q ready "$work/lab.log" 2>/dev/null && break; sleep 0.1; done
echo "lab: $(cat "$work/lab.log"); $k faulty devices"
cmd=("$bin" run collect-facts -i "$work" -o "$work/out.jsonl" --concurrency "$concurrency")
echo "command: ${cmd[*]}"
start=$(date +%s.%N)
"${cmd[@]}" > "$work/table.txt" || true
end=$(date +%s.%N)
printf 'wall time: %.1f s\n' "$(echo "$end - $start" | bc)"
python3 - "$work/out.jsonl" "$devices" "$width" <<'EOF'
import json, sys, collections
path, devices, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
records = [json.loads(l) for l in open(path)]
names = [r["device"] for r in records]
counts = collections.Counter(r["error"]["class"] if r["status"] == "error" else "ok" for r in records)
healthy = {f"r{i:0{width}d}" for i in range(1, devices + 1) if i % 10}
bad_healthy = [r for r in records if r["device"] in healthy and r["status"] != "ok"]
print(f"records: {len(records)} (unique devices {len(set(names))}, lost {devices - len(set(names))})")
for c, n in sorted(counts.items(), key=lambda x: -x[1]):
    print(f"  {c:16} {n}")
print(f"healthy devices not ok: {len(bad_healthy)}")
for r in bad_healthy[:5]:
    print("   ", json.dumps(r)[:300])
sys.exit(0 if len(records) == devices == len(set(names)) and not bad_healthy else 1)
EOF
