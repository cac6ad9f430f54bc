#!/usr/bin/env bash
# Build the first-party Rust plugins for wasm32-wasip2 and lay them out as
# bundles (manifest with the component's sha256 + plugin.wasm) in
# ${CARGO_TARGET_DIR:-target}/plugins/<name>/, where the netrun binary of
# that target folder finds them (<exe dir>/../plugins).
#
# --tests also builds the plugins the test suite needs (tests/plugins/*,
# e.g. the hostile workflow) into ${CARGO_TARGET_DIR:-target}/test-plugins/.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
target=${CARGO_TARGET_DIR:-target}

# build_bundle SOURCE_DIR CRATE OUT_DIR
build_bundle() {
  local dir=$1 crate=$2 out=$3
  # One plugin per cargo invocation: each enables a different guest-sdk world,
  # and a shared invocation would unify the features into both components.
  cargo rustc --quiet --profile plugin --target wasm32-wasip2 -p "$crate" --crate-type cdylib
  local wasm="$target/wasm32-wasip2/plugin/${crate//-/_}.wasm"
  mkdir -p "$out"
  # Left alone when unchanged: a run takes the component's digest from its
  # record (`.verified` beside the bundle, and in the cache) only while
  # the file is the one recorded.
  cmp -s "$wasm" "$out/plugin.wasm" || cp "$wasm" "$out/plugin.wasm"
  local sum
  sum=$(sha256sum "$out/plugin.wasm" | cut -d' ' -f1)
  sed "s/^sha256 = .*/sha256 = \"$sum\"/" "$dir/netrun-plugin.toml" > "$out/netrun-plugin.toml"
  echo "built $(basename "$out") ($(du -k "$out/plugin.wasm" | cut -f1) KiB, sha256 ${sum:0:12}…)"
}

for dir in plugins/*/; do
  name=$(basename "$dir")
  [ -f "$dir/Cargo.toml" ] || continue
  build_bundle "$dir" "netrun-plugin-$name" "$target/plugins/$name"
done

if [ "${1:-}" = "--tests" ]; then
  build_bundle tests/plugins/hostile netrun-test-plugin-hostile "$target/test-plugins/hostile"
  build_bundle tests/plugins/hostile-driver netrun-test-plugin-hostile-driver "$target/test-plugins/hostile-driver"
  build_bundle tests/plugins/config-change netrun-test-plugin-config-change "$target/test-plugins/config-change"
fi

# Compile the bundles to machine code now (beside each bundle, keyed by the
# engine's compatibility hash), so no run pays for it: with each netrun
# binary of this target folder. Without one, the first run compiles them.
# A binary built from older sources may not read these plugins' data (a
# field it does not know): it is skipped with a warning, not fatal, since
# compiling ahead only saves that binary's first run the work.
for bin in "$target/release/netrun" "$target/debug/netrun"; do
  if [ -x "$bin" ]; then
    # Store each driver's platform declarations beside it for this binary.
    if "$bin" plugin compile "$target"/plugins/*/ >/dev/null && "$bin" platforms >/dev/null; then
      echo "compiled the plugins for $bin"
    else
      echo "warning: $bin cannot load these plugins (built from older sources?): rebuild it with cargo build" >&2
    fi
  fi
done
