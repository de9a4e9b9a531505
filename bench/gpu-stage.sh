#!/usr/bin/env bash
# Stages what a GPU machine without Node, node_modules or ONNX Runtime's CUDA provider
# needs for bench/gpu-check.sh, in parts small enough for one transfer each
# (.gpu-stage/ is ignored by git; bench/gpu-check.sh unpacks on the other side):
#   part1  node.xz (this machine's node binary), runtime.tar.xz (packages/linux-x64/prebuilds
#          from scripts/prebuild.js: the addon and the ORT core; dist/; the node_modules
#          needed at run time), the small provider libraries (shared, tensorrt)
#   part2.. libonnxruntime_providers_cuda.so, xz-compressed and split into chunks
#   bash bench/gpu-stage.sh [--from DIR] [--out DIR] [--chunk-mib 56] [--prebuild]
# --from: a folder holding libonnxruntime_providers_*.so (default: the installed
# com.github.asus4.onnxruntime.linux-x64-gpu package); --prebuild: remake the prebuild
# even where one is there.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUTDIR=$ROOT/.gpu-stage
FROM=
CHUNK_MIB=56
PREBUILD=0
while [ $# -gt 0 ]; do
  case "$1" in
    --from) FROM=$(cd "$2" && pwd); shift 2 ;;
    --out) OUTDIR=$2; shift 2 ;;
    --chunk-mib) CHUNK_MIB=$2; shift 2 ;;
    --prebuild) PREBUILD=1; shift ;;
    *) echo "gpu-stage: unknown argument $1" >&2; exit 2 ;;
  esac
done
LIMIT=$((60 * 1024 * 1024))
PREBUILD_DIR=packages/linux-x64/prebuilds/linux-x64

if [ -z "$FROM" ]; then
  FROM=$(node -p "require('path').dirname(require.resolve('com.github.asus4.onnxruntime.linux-x64-gpu/package.json'))" 2>/dev/null) || {
    echo "gpu-stage: no provider libraries: npm install --no-save com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9, or pass --from DIR" >&2
    exit 2
  }
fi
find_lib() { find "$FROM" -name "$1" -type f | head -1; }
CUDA=$(find_lib libonnxruntime_providers_cuda.so)
SHARED=$(find_lib libonnxruntime_providers_shared.so)
TRT=$(find_lib libonnxruntime_providers_tensorrt.so)
[ -n "$CUDA" ] && [ -n "$SHARED" ] || { echo "gpu-stage: $FROM holds no libonnxruntime_providers_cuda.so / _shared.so" >&2; exit 2; }

if [ "$PREBUILD" = 1 ] || [ ! -f "$PREBUILD_DIR/die-inspect.node" ]; then
  echo "gpu-stage: node scripts/prebuild.js"
  node scripts/prebuild.js
fi
[ -f dist/index.js ] || { echo "gpu-stage: no dist/: npm run build:ts first" >&2; exit 2; }

rm -rf "$OUTDIR"
mkdir -p "$OUTDIR/part1"
t0=$(date +%s)

# part1: node, the runtime tree, the small providers
NODE_BIN=$(readlink -f "$(command -v node)")
sha256sum "$NODE_BIN" | cut -d' ' -f1 >"$OUTDIR/part1/node.sha256"
xz -9 -T0 -c "$NODE_BIN" >"$OUTDIR/part1/node.xz"
# node_modules needed at run time (npm's production tree; the workspace packages stay links)
mapfile -t MODS < <(npm ls --omit=dev --all --parseable 2>/dev/null | sed "s#^$ROOT/##" | grep '^node_modules/' | grep -v '^node_modules/node-addon-api$')
tar -cJf "$OUTDIR/part1/runtime.tar.xz" --owner=0 --group=0 "$PREBUILD_DIR" dist "${MODS[@]}"
cp "$SHARED" "$OUTDIR/part1/"
[ -n "$TRT" ] && cp "$TRT" "$OUTDIR/part1/"

# part2..: the CUDA provider in chunks
sha256sum "$CUDA" | cut -d' ' -f1 >"$OUTDIR/cuda.sha256"
xz -9 -T0 -c "$CUDA" >"$OUTDIR/cuda.xz"
split -b "${CHUNK_MIB}M" -d -a 1 "$OUTDIR/cuda.xz" "$OUTDIR/chunk."
chunks=("$OUTDIR"/chunk.*)
n=${#chunks[@]}
for i in "${!chunks[@]}"; do
  p="$OUTDIR/part$((i + 2))"
  mkdir -p "$p"
  mv "${chunks[$i]}" "$p/libonnxruntime_providers_cuda.so.xz.part-$((i + 1))-of-$n"
  cp "$OUTDIR/cuda.sha256" "$p/"
done
rm -f "$OUTDIR/cuda.xz" "$OUTDIR/cuda.sha256"

# sizes, and what one transfer carries besides a part: the working tree
tree=$(git ls-files -z | du -cb --files0-from=- | tail -1 | cut -f1)
ok=1
for p in "$OUTDIR"/part*; do
  s=$(du -cb "$p"/* | tail -1 | cut -f1)
  printf '%s  %6.1f MiB  %s\n' "$(basename "$p")" "$(echo "$s / 1048576" | bc -l)" "$(cd "$p" && ls | tr '\n' ' ')"
  [ "$s" -lt "$LIMIT" ] || { echo "gpu-stage: $(basename "$p") is over 60 MiB" >&2; ok=0; }
  if [ $((s + tree)) -gt $((64 * 1024 * 1024)) ]; then
    echo "gpu-stage: warning: $(basename "$p") + the tracked tree ($((tree / 1048576)) MiB) is over the 64 MiB a transfer carries" >&2
  fi
done
echo "gpu-stage: $n CUDA chunks; staged in $(( $(date +%s) - t0 )) s into $OUTDIR"
[ "$ok" = 1 ]
