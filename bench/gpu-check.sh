#!/usr/bin/env bash
# The first minutes on a GPU machine: unpack what bench/gpu-stage.sh staged, find node
# and the CUDA libraries, then run bench/gpu-check.js (every step timed, a failing one
# recorded without stopping the others; one JSON report and a Markdown table).
#   bash bench/gpu-check.sh [--dry-run] [--out DIR]     (default bench/results/<date>-<host kind>/)
#   bash bench/gpu-check.sh --unpack-only               (a chained transfer: keep the parts that came, then stop)
# The models come in models.tar (bench/gpu-stage.sh's part2), for a tree slimmed by
# bench/gpu-slim.sh. Staged parts are read from .gpu-stage/part*/ (or $DIE_INSPECT_STAGE) and kept in
# $DIE_INSPECT_STAGE_KEEP (default /tmp/die-inspect-stage), so parts carried by
# earlier commands on the same (warm) machine are still there.
# Node: the staged one, else $NODE, else node on PATH.
set -u -o pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STAGE=${DIE_INSPECT_STAGE:-$ROOT/.gpu-stage}
KEEP=${DIE_INSPECT_STAGE_KEEP:-/tmp/die-inspect-stage}
UNPACK_ONLY=0
ARGS=()
for a in "$@"; do
  case "$a" in
    --unpack-only) UNPACK_ONLY=1 ;;
    *) ARGS+=("$a") ;;
  esac
done

# ---- unpack (remote side of bench/gpu-stage.sh) ----------------------------------
t0=$(date +%s.%N)
notes=()
status=ok
unxz_to() { # unxz_to FILE.xz DEST: xz where it exists, else Python's lzma
  if command -v xz >/dev/null; then xz -dc "$1" >"$2"
  else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"), 1<<24)' "$1" "$2"; fi
}
sha_ok() { # sha_ok FILE HEX
  [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}
shopt -s nullglob
parts=("$STAGE"/part*/*)
if [ ${#parts[@]} -gt 0 ]; then
  mkdir -p "$KEEP"
  for f in "${parts[@]}"; do
    [ -f "$f" ] || continue
    b=$(basename "$f")
    if [ ! -f "$KEEP/$b" ] || [ "$(stat -c %s "$f")" != "$(stat -c %s "$KEEP/$b")" ]; then cp "$f" "$KEEP/$b"; fi
  done
  notes+=("kept ${#parts[@]} staged files in $KEEP")
fi
for f in "$KEEP"/libonnxruntime_providers_*.so; do # part1's small providers, beside the reassembled CUDA one
  mkdir -p "$KEEP/providers" && mv "$f" "$KEEP/providers/"
done
if [ -f "$KEEP/node.xz" ] && [ ! -x "$KEEP/node/bin/node" ]; then
  mkdir -p "$KEEP/node/bin"
  if unxz_to "$KEEP/node.xz" "$KEEP/node/bin/node.tmp" && sha_ok "$KEEP/node/bin/node.tmp" "$(cat "$KEEP/node.sha256")"; then
    chmod +x "$KEEP/node/bin/node.tmp" && mv "$KEEP/node/bin/node.tmp" "$KEEP/node/bin/node" && notes+=("node unpacked")
  else status=fail; notes+=("node.xz did not unpack to the staged checksum"); fi
fi
if [ -f "$KEEP/runtime.tar.xz" ] && [ "$UNPACK_ONLY" = 0 ]; then
  # the addon + prebuild folder, dist/, node_modules/ needed at run time, the small provider libraries
  if { command -v xz >/dev/null && tar -xJf "$KEEP/runtime.tar.xz" -C "$ROOT"; } ||
     python3 -c 'import tarfile,sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$KEEP/runtime.tar.xz" "$ROOT"; then
    notes+=("runtime unpacked")
  else status=fail; notes+=("runtime.tar.xz did not unpack"); fi
fi
if [ -f "$KEEP/models.tar" ] && [ "$UNPACK_ONLY" = 0 ]; then
  # the default models and their cards back at models/ (a tree slimmed by bench/gpu-slim.sh has no *.onnx)
  if sha_ok "$KEEP/models.tar" "$(cat "$KEEP/models.sha256")" &&
     { tar -xf "$KEEP/models.tar" -C "$ROOT" 2>/dev/null ||
       python3 -c 'import tarfile,sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$KEEP/models.tar" "$ROOT"; }; then
    notes+=("models unpacked ($(tar -tf "$KEEP/models.tar" 2>/dev/null | grep -c '\.onnx$' || echo '?') into models/)")
  else status=fail; notes+=("models.tar did not unpack to the staged checksum"); fi
fi
chunks=("$KEEP"/libonnxruntime_providers_cuda.so.xz.part-*)
if [ ${#chunks[@]} -gt 0 ] && [ ! -f "$KEEP/providers/libonnxruntime_providers_cuda.so" ]; then
  want=$(echo "${chunks[0]}" | sed -E 's/.*-of-([0-9]+)$/\1/')
  if [ "${#chunks[@]}" = "$((10#$want))" ]; then
    mkdir -p "$KEEP/providers"
    cat "${chunks[@]}" >"$KEEP/cuda.xz" # the names sort in order (part-1-of-3, part-2-of-3, ...)
    if unxz_to "$KEEP/cuda.xz" "$KEEP/providers/cuda.tmp" && sha_ok "$KEEP/providers/cuda.tmp" "$(cat "$KEEP/cuda.sha256")"; then
      mv "$KEEP/providers/cuda.tmp" "$KEEP/providers/libonnxruntime_providers_cuda.so"
      rm -f "$KEEP/cuda.xz" "${chunks[@]}"
      notes+=("CUDA provider reassembled from $want chunks")
    else status=fail; notes+=("the CUDA provider's chunks did not reassemble to the staged checksum"); rm -f "$KEEP/cuda.xz" "$KEEP/providers/cuda.tmp"; fi
  else
    notes+=("CUDA provider: ${#chunks[@]} of $((10#$want)) chunks so far")
  fi
fi
[ ${#notes[@]} -eq 0 ] && { status=skipped; notes+=("nothing staged (no $STAGE/part*/, nothing kept in $KEEP)"); }

# ---- node, and the CUDA libraries of the machine's Python (nvidia/*/lib) -----------
if [ -x "$KEEP/node/bin/node" ]; then NODE_BIN=$KEEP/node/bin/node
elif [ -n "${NODE:-}" ]; then NODE_BIN=$NODE
else NODE_BIN=$(command -v node || true); fi
if [ -z "$NODE_BIN" ]; then
  echo "gpu-check: no node (stage it with bench/gpu-stage.sh, or set NODE)" >&2
  exit 3
fi
libs=()
for py in python3 /opt/torch/.venv/bin/python3; do
  command -v "$py" >/dev/null || continue
  for sp in $("$py" -c 'import site,sys; print("\n".join(site.getsitepackages()+[site.getusersitepackages()]))' 2>/dev/null); do
    for d in "$sp"/nvidia/*/lib "$sp"/nvidia/*/lib64; do
      case ":$(IFS=:; echo "${libs[*]:-}"):" in *":$d:"*) ;; *) libs+=("$d") ;; esac
    done
  done
done
if [ ${#libs[@]} -gt 0 ]; then
  LD_LIBRARY_PATH=$(IFS=:; echo "${libs[*]}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export LD_LIBRARY_PATH
fi
if [ -d "$KEEP/providers" ] && [ "$UNPACK_ONLY" = 0 ] && [ -f "$KEEP/providers/libonnxruntime_providers_shared.so" ]; then
  if "$NODE_BIN" scripts/install-gpu-providers.js --from "$KEEP/providers" >"$KEEP/install-providers.log" 2>&1; then
    notes+=("providers installed next to the ORT core: $(tr '\n' ' ' <"$KEEP/install-providers.log")")
  else status=fail; notes+=("install-gpu-providers.js failed: $(tail -3 "$KEEP/install-providers.log" | tr '\n' ' ')"); fi
fi
secs=$(echo "$(date +%s.%N) - $t0" | bc 2>/dev/null || echo 0)
note=$(IFS=';'; echo "${notes[*]}")
echo "unpack: $status ($note)"
if [ "$UNPACK_ONLY" = 1 ]; then
  ls -la "$KEEP" 2>/dev/null
  [ "$status" = fail ] && exit 1
  exit 0
fi
export GPU_CHECK_UNPACK="$status|$secs|$note"
echo "node: $NODE_BIN ($("$NODE_BIN" --version)); LD_LIBRARY_PATH: ${LD_LIBRARY_PATH:-(unset)}"
exec "$NODE_BIN" bench/gpu-check.js ${ARGS[@]+"${ARGS[@]}"}
