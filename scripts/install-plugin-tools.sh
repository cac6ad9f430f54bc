#!/usr/bin/env bash
# Install the tools that build netrun plugins written in Python and
# JavaScript, pinned, into ${NETRUN_TOOLS_DIR:-~/.cache/netrun-tools} (outside
# the clone, so reruns are quick):
#   venv/  a Python venv with componentize-py 0.25.1 (and pyeapi 1.0.4, netmiko 4.8.0,
#          scrapli 2026.2.20 + scrapli-community 2025.1.30 for the lab tests, textfsm
#          2.1.0 + ntc-templates 9.3.0 for the TextFSM engine's tests)
#   ntc-templates-1.4.0/  that release's test corpus of real device outputs
#   js/    componentize-js 0.23.0 + jco 1.35.0 from tools/js/package-lock.json
#   fakenos-venv/, fake-switches-venv/, scrapli-replay-venv/, go-ssh-sim:
#          device simulators that are not netrun's, for the foreign tests
# `netrun plugin build` looks there. Safe to rerun: it skips what is current.
set -euo pipefail
cd "$(dirname "$0")/.."
# apt_install PACKAGE...
. scripts/apt-install.sh
tools=${NETRUN_TOOLS_DIR:-$HOME/.cache/netrun-tools}
mkdir -p "$tools"

py_version=0.25.1
if ! "$tools/venv/bin/componentize-py" --version 2>/dev/null | grep -q " $py_version\$"; then
  echo "installing componentize-py $py_version into $tools/venv"
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check "componentize-py==$py_version"
fi
"$tools/venv/bin/componentize-py" --version

# pyeapi (Arista's own eAPI client), to check the lab's eAPI devices with a
# client netrun did not write.
pyeapi_version=1.0.4
if ! "$tools/venv/bin/python" -c "import pyeapi, sys; sys.exit(pyeapi.__version__ != '$pyeapi_version')" 2>/dev/null; then
  echo "installing pyeapi $pyeapi_version into $tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check "pyeapi==$pyeapi_version"
fi

# TextFSM and ntc-templates, pinned: the reference the TextFSM engine's
# tests compare with (and the template folder they run), and the Python side
# of scripts/parse-bench.sh. netrun itself never downloads templates.
textfsm_version=2.1.0
ntc_version=9.3.0
if ! "$tools/venv/bin/python" -c "
import sys, importlib.metadata as m
sys.exit(m.version('textfsm') != '$textfsm_version' or m.version('ntc-templates') != '$ntc_version')" 2>/dev/null; then
  echo "installing textfsm $textfsm_version and ntc-templates $ntc_version into $tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check \
    "textfsm==$textfsm_version" "ntc-templates==$ntc_version"
fi

# The test corpus of ntc-templates 1.4.0, the last release whose source
# archive carries it: outputs of real devices (tests/PLATFORM/COMMAND/*.raw)
# with the records its authors expect of them (*.yml), and that release's
# templates and index. Read by textfsm/tests/ntc.rs; checked by its sha256.
corpus_version=1.4.0
corpus_sha256=cf92cd17940f9e775c30614702f345e6fa488833041d6c85971077a9edf9343e
corpus=$tools/ntc-templates-$corpus_version
if [ ! -f "$corpus/.complete" ]; then
  echo "fetching the test corpus of ntc-templates $corpus_version into $corpus"
  scratch=$(mktemp -d)
  "$tools/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps \
    --no-binary :all: -d "$scratch" "ntc-templates==$corpus_version"
  archive=$scratch/ntc_templates-$corpus_version.tar.gz
  echo "$corpus_sha256  $archive" | sha256sum --check --quiet
  rm -rf "$corpus"
  mkdir -p "$corpus"
  tar -xzf "$archive" -C "$corpus" --strip-components=1 \
    "ntc_templates-$corpus_version/tests" "ntc_templates-$corpus_version/templates"
  rm -rf "$scratch"
  touch "$corpus/.complete"
fi

# Netmiko drives every lab persona with its own device_type
# (tests/lab/netmiko-personas.py).
netmiko_version=4.8.0
if ! "$tools/venv/bin/python" -c "import netmiko, sys; sys.exit(netmiko.__version__ != '$netmiko_version')" 2>/dev/null; then
  echo "installing netmiko $netmiko_version into $tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check "netmiko==$netmiko_version"
fi

# scrapli (and scrapli-community, for the platforms outside scrapli's core)
# opens every lab persona it has a platform for (tests/lab/scrapli-personas.py).
scrapli_version=2026.2.20
scrapli_community_version=2025.1.30
if ! "$tools/venv/bin/python" -c "
import importlib.metadata as m, sys
sys.exit(m.version('scrapli') != '$scrapli_version' or m.version('scrapli-community') != '$scrapli_community_version')" 2>/dev/null; then
  echo "installing scrapli $scrapli_version and scrapli-community $scrapli_community_version into $tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check \
    "scrapli==$scrapli_version" "scrapli-community==$scrapli_community_version"
fi

# FakeNOS (a device simulator that is not netrun's, for tests/integration/
# foreign.rs and scripts/peer-bench.sh --fakenos), in a venv of its own: its
# paramiko and pydantic pins are not the other tools'.
fakenos_version=1.2.1
if [ "$(cat "$tools/fakenos-venv/pins" 2>/dev/null)" != "fakenos==$fakenos_version" ]; then
  echo "installing fakenos $fakenos_version into $tools/fakenos-venv"
  python3 -m venv "$tools/fakenos-venv"
  "$tools/fakenos-venv/bin/pip" install --quiet --disable-pip-version-check "fakenos==$fakenos_version"
  echo "fakenos==$fakenos_version" > "$tools/fakenos-venv/pins"
fi

# venv_without_its_pins VENV PACKAGE==VERSION DEP...: a venv of its own
# under the tools folder holding DEPs, then PACKAGE without the versions it
# pins itself; redone only when the pins change.
venv_without_its_pins() {
  local venv=$tools/$1 package=$2
  shift 2
  local pins="$package $*"
  if [ "$(cat "$venv/pins" 2>/dev/null)" != "$pins" ]; then
    echo "installing $package into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "$package"
    echo "$pins" > "$venv/pins"
  fi
}

# fake-switches (a second simulator that is not netrun's: Twisted Conch's SSH
# server, one device per process, for tests/integration/foreign.rs and
# scripts/peer-bench.sh --fake-switches). Its 1.5.0 release pins Twisted
# 16, which does not build on Python 3.11: it runs on today's Twisted,
# installed first, and goes in without its own pins.
fake_switches_deps=("twisted[conch]==26.10.0" netaddr==1.3.0 tftpy==0.8.7 lxml==6.1.3 pyasn1==0.6.5)
venv_without_its_pins fake-switches-venv fake-switches==1.5.0 "${fake_switches_deps[@]}"

# scrapli-replay (a third simulator that is not netrun's: asyncssh's SSH
# server with its line editor, replaying a session file; for
# tests/integration/foreign.rs and scripts/peer-bench.sh --scrapli-replay).
# Only its server is used, which needs asyncssh and ruamel.yaml, not the
# scrapli its collector imports: it goes in without its own pins.
venv_without_its_pins scrapli-replay-venv scrapli-replay==2024.7.30 \
  asyncssh==2.24.1 cryptography==50.0.2 ruamel.yaml==0.17.40

# tools/go-ssh-sim (a fourth simulator that is not netrun's: Go's SSH server
# and line editor, cisshgo's stack; for tests/integration/foreign.rs and
# scripts/peer-bench.sh --go-ssh), built with Debian's Go against its
# packaged golang.org/x/crypto and x/term, installed here when run as root;
# rebuilt when its source changes.
gocode=/usr/share/gocode/src/golang.org/x
go_ready() { command -v go >/dev/null && [ -d "$gocode/crypto/ssh" ] && [ -d "$gocode/term" ]; }
go_pkgs="golang-go golang-golang-x-crypto-dev golang-golang-x-term-dev"
if ! go_ready && [ "$(id -u)" = 0 ]; then
  echo "installing $go_pkgs"
  # shellcheck disable=SC2086
  apt_install $go_pkgs >/dev/null
fi
if go_ready; then
  if ! cmp -s tools/go-ssh-sim/main.go "$tools/go-ssh-sim.go" || [ ! -x "$tools/go-ssh-sim" ]; then
    echo "building tools/go-ssh-sim into $tools"
    (cd tools/go-ssh-sim && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$tools/go-cache" \
      go build -o "$tools/go-ssh-sim" .)
    cp tools/go-ssh-sim/main.go "$tools/go-ssh-sim.go"
  fi
else
  echo "no Go toolchain with golang.org/x/crypto and x/term: tools/go-ssh-sim not built" \
    "(apt-get install $go_pkgs, or run this as root)"
fi

# npm ci from the committed lock file; redone only when the lock changes.
if ! cmp -s tools/js/package-lock.json "$tools/js/package-lock.json" \
   || [ ! -x "$tools/js/node_modules/.bin/componentize-js" ]; then
  echo "installing componentize-js and jco into $tools/js"
  mkdir -p "$tools/js"
  cp tools/js/package.json tools/js/package-lock.json "$tools/js/"
  (cd "$tools/js" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "componentize-js $(node -p "require('$tools/js/node_modules/@bytecodealliance/componentize-js/package.json').version")"
