#!/usr/bin/env bash
# Lay out what the container image holds, under OUT:
#   OUT/bin/netrun       the binary (BIN, by default target/release/netrun)
#   OUT/plugins/<name>/  the first-party bundles of TARGET/plugins, each with
#                        its component compiled for this binary beside it
#                        (and a driver's platform declarations)
# netrun finds its plugins in <exe dir>/../plugins and loads compiled code
# kept beside first-party bundles, so a container started from OUT, as any
# user and with nothing writable, compiles nothing. The Dockerfile runs this;
# the test suite runs it too and starts netrun from OUT that way.
#
#   deploy/image/layout.sh OUT [BIN] [TARGET]
set -euo pipefail

out=${1:?usage: deploy/image/layout.sh OUT [BIN] [TARGET]}
bin=${2:-target/release/netrun}
target=${3:-target}

[ -x "$bin" ] || { echo "layout: $bin is not an executable netrun binary (build it: cargo build --release -p netrun)" >&2; exit 1; }
[ -f "$target/plugins/cisco-ios/netrun-plugin.toml" ] || { echo "layout: $target/plugins holds no plugin bundles (run scripts/build-plugins.sh)" >&2; exit 1; }

mkdir -p "$out/bin"
cp "$bin" "$out/bin/netrun"
rm -rf "$out/plugins"
cp -r "$target/plugins" "$out/plugins"
# Compiled code of other builds is dead weight in an image: keep only this
# binary's (named by the engine's compatibility hash).
find "$out/plugins" -name '*.cwasm' -delete
"$out/bin/netrun" plugin compile "$out"/plugins/*/ >/dev/null
# Each driver's platform declarations, stored beside it: a run then need
# not instantiate the drivers to learn their platforms.
XDG_CACHE_HOME=$(mktemp -d) "$out/bin/netrun" platforms >/dev/null
for dir in "$out"/plugins/*/; do
  compgen -G "$dir*.cwasm" >/dev/null || { echo "layout: nothing compiled in $dir" >&2; exit 1; }
  if grep -q '^kind = "driver"' "$dir/netrun-plugin.toml"; then
    compgen -G "$dir*.platforms.json" >/dev/null || { echo "layout: no platform declarations stored in $dir" >&2; exit 1; }
  fi
done
# Read-only for everyone: the image's user is not its owner.
chmod -R a+rX,go-w "$out"
echo "laid out $(ls "$out/plugins" | wc -l) plugins for $("$out/bin/netrun" --version) in $out"
