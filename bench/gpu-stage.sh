#!/usr/bin/env bash
# Stages what a GPU machine without Node, node_modules or ONNX Runtime's CUDA provider
# needs for bench/gpu-check.sh, in parts small enough for one transfer each
# (.gpu-stage/ is ignored by git; bench/gpu-check.sh unpacks on the other side). One
# transfer carries the working tree and one part, 64 MiB in all: with the tree slimmed
# by bench/gpu-slim.sh (~3 MiB, no *.onnx) every part is cut so that part + tree < 62 MiB.
#   part1  node.xz (this machine's node binary), runtime.tar.xz (packages/linux-x64/prebuilds
#          from scripts/prebuild.js: the addon and the ORT core; dist/; the node_modules
#          needed at run time), the small provider libraries (shared, tensorrt),
#          then the first chunk of the CUDA provider in the space left
#   part2  models.tar (the three default models under models/ and their .json cards:
#          all the check uses), then the next CUDA chunk
#   part3.. the rest of libonnxruntime_providers_cuda.so (xz), one chunk per part
#   bash bench/gpu-stage.sh [--from DIR] [--out DIR] [--chunk-mib N] [--prebuild] [--repack]
# --from: a folder holding libonnxruntime_providers_*.so (default: the installed
# com.github.asus4.onnxruntime.linux-x64-gpu package); --prebuild: remake the prebuild
# even where one is there; --repack: re-cut the parts already in --out (node.xz,
# runtime.tar.xz, the providers, the CUDA chunks) without the GPU package or compressing
# again; --chunk-mib: the most MiB of CUDA chunk in one part (default: all that fits).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUTDIR=$ROOT/.gpu-stage
FROM=
CHUNK_MIB=
PREBUILD=0
REPACK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --from) FROM=$(cd "$2" && pwd); shift 2 ;;
    --out) OUTDIR=$2; shift 2 ;;
    --chunk-mib) CHUNK_MIB=$2; shift 2 ;;
    --prebuild) PREBUILD=1; shift ;;
    --repack) REPACK=1; shift ;;
    *) echo "gpu-stage: unknown argument $1" >&2; exit 2 ;;
  esac
done
MIB=1048576
LIMIT=$((62 * MIB)) # a part + the tree the run tool copies
PREBUILD_DIR=packages/linux-x64/prebuilds/linux-x64
MODELS=(models/die-defect-yolov7tiny models/die-good-defect-resnet18s models/die-good-defect-vggs)
WORK=$OUTDIR/.work
# the tree a transfer copies once bench/gpu-slim.sh is on: tracked + untracked-not-ignored, no *.onnx
tree=$(git ls-files -z --cached --others --exclude-standard | grep -zv '\.onnx$' | du -cb --files0-from=- | tail -1 | cut -f1)
BUDGET=$((LIMIT - tree - 64 * 1024)) # 64 KiB for the checksum files
t0=$(date +%s)

if [ "$REPACK" = 1 ]; then
  # the compressed files of an earlier staging, back into one folder
  [ -f "$OUTDIR/part1/node.xz" ] || [ -f "$WORK/node.xz" ] || { echo "gpu-stage: --repack: nothing staged in $OUTDIR" >&2; exit 2; }
  mkdir -p "$WORK"
  for f in "$OUTDIR"/part*/*; do mv -f "$f" "$WORK/"; done
  # the chunks in order (part-K-of-N); where cuda.xz is there already (an interrupted repack), they are its copies
  mapfile -t old < <(ls "$WORK"/libonnxruntime_providers_cuda.so.xz.part-* 2>/dev/null | sed -E 's/.*\.part-([0-9]+)-of-.*/\1 &/' | sort -n | cut -d' ' -f2-)
  if [ ${#old[@]} -gt 0 ] && [ ! -f "$WORK/cuda.xz" ]; then cat "${old[@]}" >"$WORK/cuda.xz.tmp" && mv "$WORK/cuda.xz.tmp" "$WORK/cuda.xz"; fi
  rm -f "${old[@]}"
  [ -f "$WORK/cuda.xz" ] && [ -f "$WORK/cuda.sha256" ] || { echo "gpu-stage: --repack: no CUDA chunks in $OUTDIR" >&2; exit 2; }
  xz -t "$WORK/cuda.xz" || { echo "gpu-stage: --repack: the CUDA chunks do not make one xz stream" >&2; exit 2; }
else

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

rm -rf "$WORK" "$OUTDIR"/part*
mkdir -p "$WORK"
NODE_BIN=$(readlink -f "$(command -v node)")
sha256sum "$NODE_BIN" | cut -d' ' -f1 >"$WORK/node.sha256"
xz -9 -T0 -c "$NODE_BIN" >"$WORK/node.xz"
# node_modules needed at run time (npm's production tree; the workspace packages stay links)
mapfile -t MODS < <(npm ls --omit=dev --all --parseable 2>/dev/null | sed "s#^$ROOT/##" | grep '^node_modules/' | grep -v '^node_modules/node-addon-api$')
tar -cJf "$WORK/runtime.tar.xz" --owner=0 --group=0 "$PREBUILD_DIR" dist "${MODS[@]}"
cp "$SHARED" "$WORK/"
[ -n "$TRT" ] && cp "$TRT" "$WORK/"
sha256sum "$CUDA" | cut -d' ' -f1 >"$WORK/cuda.sha256"
xz -9 -T0 -c "$CUDA" >"$WORK/cuda.xz"
fi

# the default models (uncompressed: xz saves 8 % of them)
rm -f "$WORK/models.tar" "$WORK/models.sha256"
mfiles=()
for m in "${MODELS[@]}"; do mfiles+=("$m.onnx" "$m.json"); done
tar -cf "$WORK/models.tar" --owner=0 --group=0 "${mfiles[@]}"
sha256sum "$WORK/models.tar" | cut -d' ' -f1 >"$WORK/models.sha256"

# the parts: part1 the runtime, part2 the models, each topped up with CUDA chunks; then CUDA alone
size() { du -cb "$@" | tail -1 | cut -f1; }
rm -rf "$OUTDIR"/part*
mkdir -p "$OUTDIR/part1" "$OUTDIR/part2"
mv "$WORK/node.xz" "$WORK/node.sha256" "$WORK/runtime.tar.xz" "$WORK"/libonnxruntime_providers_*.so "$OUTDIR/part1/"
mv "$WORK/models.tar" "$WORK/models.sha256" "$OUTDIR/part2/"
cap=$BUDGET
[ -n "$CHUNK_MIB" ] && [ $((CHUNK_MIB * MIB)) -lt "$cap" ] && cap=$((CHUNK_MIB * MIB))
total=$(stat -c %s "$WORK/cuda.xz")
# chunk sizes: the room left in part1, part2, then full parts
lens=()
left=$total
p=1
while [ "$left" -gt 0 ]; do
  used=0
  [ -d "$OUTDIR/part$p" ] && used=$(size "$OUTDIR/part$p"/*)
  room=$((BUDGET - used))
  [ "$room" -gt "$cap" ] && room=$cap
  if [ "$room" -lt $((MIB)) ]; then lens+=(0); p=$((p + 1)); continue; fi # under 1 MiB: not worth a chunk
  len=$((left < room ? left : room))
  lens+=("$len")
  left=$((left - len))
  p=$((p + 1))
done
n=0
for l in "${lens[@]}"; do [ "$l" -gt 0 ] && n=$((n + 1)); done
off=0
k=0
for i in "${!lens[@]}"; do
  len=${lens[$i]}
  dir="$OUTDIR/part$((i + 1))"
  mkdir -p "$dir"
  [ "$len" -gt 0 ] || continue
  k=$((k + 1))
  dd if="$WORK/cuda.xz" of="$dir/libonnxruntime_providers_cuda.so.xz.part-$k-of-$n" bs=4M iflag=skip_bytes,count_bytes skip="$off" count="$len" status=none
  cp "$WORK/cuda.sha256" "$dir/"
  off=$((off + len))
done
[ "$off" = "$total" ] || { echo "gpu-stage: cut $off of $total bytes" >&2; exit 1; }
rm -rf "$WORK"

# sizes, against what one transfer carries besides a part: the slimmed tree
ok=1
printf 'tree (bench/gpu-slim.sh on)  %6.1f MiB\n' "$(echo "$tree / $MIB" | bc -l)"
mapfile -t PARTS < <(ls -d "$OUTDIR"/part* | sort -V)
for p in "${PARTS[@]}"; do
  s=$(size "$p"/*)
  printf '%s  %6.1f MiB (+ tree %5.1f)  %s\n' "$(basename "$p")" "$(echo "$s / $MIB" | bc -l)" "$(echo "($s + $tree) / $MIB" | bc -l)" "$(cd "$p" && ls | tr '\n' ' ')"
  [ $((s + tree)) -lt "$LIMIT" ] || { echo "gpu-stage: $(basename "$p") + the slimmed tree is over 62 MiB" >&2; ok=0; }
done
echo "gpu-stage: ${#PARTS[@]} parts, $n CUDA chunks; staged in $(( $(date +%s) - t0 )) s into $OUTDIR"
echo
echo "The calls, chained while the machine is warm (it is handed back after 30 s idle):"
echo "  bash bench/gpu-slim.sh on     # here, first: the tree the run tool copies without *.onnx"
for p in "${PARTS[@]:1}"; do echo "  carry .gpu-stage/$(basename "$p") -> bash bench/gpu-check.sh --unpack-only"; done
echo "  carry .gpu-stage/part1 -> bash bench/gpu-check.sh --out \"\$OUT/report\"   # the full run"
echo "  bash bench/gpu-slim.sh off    # here, at once after the last call; commit nothing before it"
[ "$ok" = 1 ]
