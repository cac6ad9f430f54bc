#!/usr/bin/env bash
# Build the first-party Rust plugins for wasm32-wasip2 and lay them out as
# bundles (manifest with the component's sha256 + plugin.wasm) in
# $CARGO_TARGET_DIR/plugins/<name>/ (target/plugins/ by default), where the
# netrun binary and the integration tests find them.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
target=${CARGO_TARGET_DIR:-target}
out=$target/plugins
mkdir -p "$out"
for dir in plugins/*/; do
  name=$(basename "$dir")
  [ -f "$dir/Cargo.toml" ] || continue
  crate="netrun-plugin-$name"
  # One plugin per cargo invocation: each enables a different guest-sdk world,
  # and a shared invocation would unify the features into both components.
  cargo build --quiet --profile plugin --target wasm32-wasip2 -p "$crate"
  wasm="$target/wasm32-wasip2/plugin/${crate//-/_}.wasm"
  mkdir -p "$out/$name"
  cp "$wasm" "$out/$name/plugin.wasm"
  sum=$(sha256sum "$out/$name/plugin.wasm" | cut -d' ' -f1)
  sed "s/^sha256 = .*/sha256 = \"$sum\"/" "$dir/netrun-plugin.toml" > "$out/$name/netrun-plugin.toml"
  echo "built $name ($(du -k "$out/$name/plugin.wasm" | cut -f1) KiB, sha256 ${sum:0:12}…)"
done
