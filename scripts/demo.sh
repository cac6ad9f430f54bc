#!/usr/bin/env bash
# The main job on the built-in simulated lab, from a fresh clone: build,
# start 200 simulated IOS devices (SSH) and 20 Arista EOS devices (eAPI over
# HTTPS), collect facts from all of them, show the table and the first
# records, stop the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
DEVICES=${DEVICES:-200}
EOS=${EOS:-20}
rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
echo "==> building netrun (release) and the plugins"
cargo build --release -p netrun
scripts/build-plugins.sh
bin=${CARGO_TARGET_DIR:-target}/release/netrun
lab=$(mktemp -d)
echo "==> starting a lab of $DEVICES IOS and $EOS EOS devices"
"$bin" lab --devices "$DEVICES" --eos "$EOS" --inventory-dir "$lab" > "$lab/lab.log" &
lab_pid=$!
trap 'kill $lab_pid 2>/dev/null || true; rm -rf "$lab"' EXIT
for _ in $(seq 100); do grep -q ready "$lab/lab.log" 2>/dev/null && break; sleep 0.1; done
cat "$lab/lab.log"
echo "==> netrun run collect-facts -i $lab/hosts.yaml -o facts.jsonl"
status=0
"$bin" run collect-facts -i "$lab/hosts.yaml" -o facts.jsonl || status=$?
echo "==> an IOS and an EOS record of facts.jsonl"
grep -m1 '"device":"r' facts.jsonl || true
grep -m1 '"device":"eos' facts.jsonl || true
echo "==> netrun exec \"show ip interface brief\" --hosts r001"
# cut, not head: head would close the pipe early and fail the run.
"$bin" exec "show ip interface brief" -i "$lab" --hosts r001 -o - | cut -c1-600
exit $status
