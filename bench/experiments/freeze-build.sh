#!/usr/bin/env bash
# Copies this checkout's built platform (core, ingest, server dist and data)
# to DIR, with node_modules linked back here except the workspace packages,
# which point at the copy: a frozen build that other people's rebuilds cannot
# change under a before/after comparison (npm run bench -- --platform-root /
# --variant-root DIR).
#   bash bench/experiments/freeze-build.sh DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dest="${1:?usage: freeze-build.sh DIR}"
mkdir -p "$dest/node_modules/@lifeline"
cp "$root/package.json" "$dest/"
cp -r "$root/data" "$dest/"
for w in core ingest server simulators; do
  mkdir -p "$dest/$w"
  cp "$root/$w/package.json" "$dest/$w/"
  rm -rf "$dest/$w/dist"
  cp -r "$root/$w/dist" "$dest/$w/dist"
  ln -sfn "../../$w" "$dest/node_modules/@lifeline/$w"
done
for m in "$root"/node_modules/* "$root"/node_modules/.bin; do
  n="$(basename "$m")"
  [[ "$n" == "@lifeline" ]] || ln -sfn "$m" "$dest/node_modules/$n"
done
echo "$dest"
