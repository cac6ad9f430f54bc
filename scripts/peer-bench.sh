#!/usr/bin/env bash
# netrun beside the Python tools its users know, against the same simulated
# devices in one invocation: scrapli (asyncio + asyncssh) and netmiko
# (threads) each do `show version` + TextFSM parse on every device; netrun does
# `exec "show version"` (parsed by its driver), from an empty compiled-code
# cache, then warm; and the floor, bare russh sessions sending `show
# version` alone (`netrun bench --floor-only`). Client CPU, wall time and
# peak RSS of each process alone.
#
#   scripts/peer-bench.sh [--rounds N] [--fakenos | --fake-switches | --go-ssh |
#                         --scrapli-replay [--host-key-type rsa|rsa4096|ed25519]]
#                         [DEVICES] [CONCURRENCY]           (default 3 rounds, 200 100)
#
# Every contender runs N times, all of them in turn in each round (each round
# starting one further along), and each row is its median run: a machine whose
# speed drifts weighs on every row alike. Before each run the previous
# client's sessions are let close at both ends, so no client shares the cores
# with a simulator tearing down the sessions of the one before. An unmeasured
# netrun run comes first.
#
# --fakenos: the devices are FakeNOS's (a paramiko device simulator from
# PyPI, not netrun's), DEVICES `cisco_ios` replicas on ports 7000 and up;
# its shell echoes each typed character in an SSH packet of its own, as
# slow device CLIs do, where netrun's lab answers in one piece.
# --fake-switches: the devices are fake-switches' (PyPI, Twisted Conch's SSH
# server), one `cisco_generic` process per device on ports 7000 and up,
# `enable` with an empty secret.
# --go-ssh: the devices are tools/go-ssh-sim's (Go's SSH server,
# golang.org/x/crypto/ssh, and its line editor, golang.org/x/term, the stack
# cisshgo is built on), DEVICES IOS-like devices in one process on ports 7000
# and up, landing in user exec with `enable` asking the secret `cisco`. Built
# with Debian's Go and packaged x/crypto and x/term (installed with apt-get
# when missing and run as root).
# --scrapli-replay: the devices are scrapli-replay's (PyPI, asyncssh's SSH
# server and line editor), DEVICES servers in one process on ports 7000 and
# up, replaying a Catalyst 9300's saved outputs (tools/scrapli-replay/serve.py).
# Its host key is scrapli-replay's own 1,024-bit RSA key unless
# --host-key-type gives a fresh one: `rsa` (2,048 bits: IOS's default, and
# what paramiko and asyncssh generate), `rsa4096` or `ed25519`.
#
# Installs the peers, pinned, into ${NETRUN_TOOLS_DIR:-~/.cache/netrun-tools}/peer-venv.
# Uses the release build: cargo build --release -p netrun && scripts/build-plugins.sh
set -euo pipefail
cd "$(dirname "$0")/.."
sim=lab
lands_privileged=
rounds=3
if [ "${1:-}" = --rounds ]; then
  rounds=${2:?--rounds needs a count}
  shift 2
fi
case "${1:-}" in
  --fakenos) sim=fakenos; shift ;;
  --fake-switches) sim=fake-switches; shift ;;
  --go-ssh) sim=go-ssh; shift ;;
  --scrapli-replay) sim=scrapli-replay; lands_privileged=1; shift ;;
esac
host_key_type=
if [ "${1:-}" = --host-key-type ]; then
  [ "$sim" = scrapli-replay ] || { echo "--host-key-type is for --scrapli-replay" >&2; exit 2; }
  host_key_type=${2:?--host-key-type needs rsa, rsa4096 or ed25519}
  case "$host_key_type" in rsa | rsa4096 | ed25519) ;; *) echo "--host-key-type: rsa, rsa4096 or ed25519" >&2; exit 2 ;; esac
  shift 2
fi
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
lab_pids=()
cleanup() {
  [ -n "$lab_pid" ] && kill "$lab_pid" 2>/dev/null
  [ "${#lab_pids[@]}" -gt 0 ] && kill "${lab_pids[@]}" 2>/dev/null
  rm -rf "$scratch"
}
trap cleanup EXIT

# Wait until the DEVICES ports from 7000 listen (PID, when not empty, must
# stay up meanwhile), then record their host keys (`ssh-keyscan ARGS…`) in
# the inventory's known_hosts.
await_simulated() {
  local pid=$1 last=$((7000 + devices - 1))
  shift
  command -v ssh-keyscan >/dev/null || { echo "ssh-keyscan (openssh-client) is needed for --$sim" >&2; exit 1; }
  for _ in $(seq 600); do
    [ "$(ss -ltn "sport >= :7000 and sport <= :$last" | grep -c LISTEN)" -ge "$devices" ] && break
    if [ -n "$pid" ]; then
      kill -0 "$pid" 2>/dev/null || { cat "$scratch/lab.log"; exit 1; }
    fi
    sleep 0.5
  done
  for i in $(seq 0 $((devices - 1))); do
    ssh-keyscan "$@" -p $((7000 + i)) 127.0.0.1 2>/dev/null
  done > "$scratch/lab/known_hosts"
}
# inventory NAME_PREFIX PLATFORM USER PASSWORD [EXTRAS]: hosts.yaml of
# DEVICES devices on 127.0.0.1 ports 7000 and up, and defaults.yaml with the
# login, the known_hosts file await_simulated writes and EXTRAS (more lines
# of netrun's extras, each indented six spaces and ending in a newline).
inventory() {
  mkdir -p "$scratch/lab"
  for i in $(seq 0 $((devices - 1))); do
    printf '%s%04d:\n  hostname: 127.0.0.1\n  port: %d\n  platform: %s\n' "$1" "$i" $((7000 + i)) "$2"
  done > "$scratch/lab/hosts.yaml"
  printf 'username: %s\npassword: %s\nconnection_options:\n  netrun:\n    extras:\n%s      known_hosts: known_hosts\n' \
    "$3" "$4" "${5:-}" > "$scratch/lab/defaults.yaml"
}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$sim" = lab ]; then
  "$netrun" lab --devices "$devices" --inventory-dir "$scratch/lab" > "$scratch/lab.log" &
  lab_pid=$!
  for _ in $(seq 600); do
    grep -q "ready" "$scratch/lab.log" 2>/dev/null && break
    kill -0 "$lab_pid" 2>/dev/null || { cat "$scratch/lab.log"; exit 1; }
    sleep 0.2
  done
elif [ "$sim" = fake-switches ]; then
  # fake-switches, pinned, in its own venv (scripts/install-plugin-tools.sh).
  scripts/install-plugin-tools.sh >/dev/null
  mkdir -p "$scratch/lab"
  for i in $(seq 0 $((devices - 1))); do
    "$tools/fake-switches-venv/bin/fake-switches" --model cisco_generic --hostname "sw$i" \
      --listen-host 127.0.0.1 --listen-port $((7000 + i)) > "$scratch/lab-$i.log" 2>&1 &
    lab_pids+=("$!")
  done
  inventory sw cisco_ios root root $'      secret: ""\n'
  # Its only host key is RSA, which the scan returns when asked by type.
  await_simulated "" -t rsa
elif [ "$sim" = scrapli-replay ]; then
  # scrapli-replay, pinned, in its own venv (scripts/install-plugin-tools.sh).
  scripts/install-plugin-tools.sh >/dev/null
  mkdir -p "$scratch/lab" "$scratch/outputs"
  saved=plugins/cisco-ios/tests/getters/cisco_xe
  cp "$saved/facts/ios_xe_17_3_c9300/show_version.raw" "$scratch/outputs/show_version.txt"
  cp "$saved/config/ios_xe_17_3_c9300/show_running_config.raw" "$scratch/outputs/show_running-config.txt"
  host_key=()
  case "$host_key_type" in
    rsa) ssh-keygen -q -t rsa -b 2048 -N "" -f "$scratch/host_key" ;;
    rsa4096) ssh-keygen -q -t rsa -b 4096 -N "" -f "$scratch/host_key" ;;
    ed25519) ssh-keygen -q -t ed25519 -N "" -f "$scratch/host_key" ;;
  esac
  [ -z "$host_key_type" ] || host_key=(--host-key "$scratch/host_key")
  "$tools/scrapli-replay-venv/bin/python" tools/scrapli-replay/serve.py --outputs "$scratch/outputs" \
    --session "$scratch/session.json" --hostname ACC-SW-9300 --devices "$devices" --base-port 7000 \
    "${host_key[@]}" > "$scratch/lab.log" 2>&1 &
  lab_pid=$!
  inventory sw cisco_xe scrapli scrapli
  await_simulated "$lab_pid"
elif [ "$sim" = go-ssh ]; then
  # Go installed and the simulator built into the tools folder
  # (scripts/install-plugin-tools.sh).
  scripts/install-plugin-tools.sh >/dev/null
  [ -x "$tools/go-ssh-sim" ] || { echo "--go-ssh needs tools/go-ssh-sim: run scripts/install-plugin-tools.sh as root (it installs Debian's Go)" >&2; exit 1; }
  mkdir -p "$scratch/lab" "$scratch/outputs"
  saved=plugins/cisco-ios/tests/getters/cisco_xe
  cp "$saved/facts/ios_xe_17_3_isr4331/show_version.raw" "$scratch/outputs/show_version.txt"
  cp "$saved/facts/ios_xe_17_3_isr4331/show_ip_interface_brief.raw" "$scratch/outputs/show_ip_interface_brief.txt"
  "$tools/go-ssh-sim" -devices "$devices" -base-port 7000 -outputs "$scratch/outputs" -secret cisco \
    -known-hosts "$scratch/lab/known_hosts" > "$scratch/lab.log" 2>&1 &
  lab_pid=$!
  inventory sw cisco_ios admin admin $'      secret: cisco\n'
  for _ in $(seq 100); do
    grep -q "ready" "$scratch/lab.log" 2>/dev/null && break
    kill -0 "$lab_pid" 2>/dev/null || { cat "$scratch/lab.log"; exit 1; }
    sleep 0.1
  done
else
  # FakeNOS, pinned, in its own venv (scripts/install-plugin-tools.sh).
  scripts/install-plugin-tools.sh >/dev/null
  fvenv=$tools/fakenos-venv
  mkdir -p "$scratch/lab"
  last=$((7000 + devices - 1))
  printf 'hosts:\n  ios:\n    username: admin\n    password: admin\n    platform: cisco_ios\n    replicas: %d\n    port: [7000, %d]\n' \
    "$devices" "$last" > "$scratch/fakenos.yaml"
  "$fvenv/bin/fakenos" -i "$scratch/fakenos.yaml" > "$scratch/lab.log" 2>&1 &
  lab_pid=$!
  inventory ios cisco_ios admin admin
  await_simulated "$lab_pid"
fi
"$venv/bin/python" tools/peer-bench/peers.py bench --netrun "$netrun" \
  --inventory-dir "$scratch/lab" --concurrency "$concurrency" --scratch "$scratch" --rounds "$rounds" \
  ${lands_privileged:+--lands-privileged} \
  ${PEER_BENCH_JSON:+--json "$PEER_BENCH_JSON"}
