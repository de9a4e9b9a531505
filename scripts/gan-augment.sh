#!/usr/bin/env bash
# Does pasting GAN-made defects help the detector? Trains the baseline detector recipe on
# (a) N procedural parts and (b) the same N plus M parts whose defects all come from a die
# generator, with the same budget (the same number of training images seen), and compares
# both on one held-out split with a paired bootstrap.
#
# usage: bash scripts/gan-augment.sh --generator MODEL.onnx [--n 300] [--m 150] [--epochs 30]
#          [--imgsz 320] [--threads 1] [--work DIR]
# Every step is skipped when its output exists and training resumes, so a rerun continues.
set -euo pipefail
cd "$(dirname "$0")/.."

GEN="" N=300 M=150 EPOCHS=30 IMGSZ=320 THREADS=1 WORK=runs/gan-augment
usage() { echo "usage: bash scripts/gan-augment.sh --generator MODEL.onnx [--n 300] [--m 150] [--epochs 30] [--imgsz 320] [--threads 1] [--work DIR]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --generator) GEN="${2:-}"; shift 2 ;;
    --n) N="${2:-}"; shift 2 ;;
    --m) M="${2:-}"; shift 2 ;;
    --epochs) EPOCHS="${2:-}"; shift 2 ;;
    --imgsz) IMGSZ="${2:-}"; shift 2 ;;
    --threads) THREADS="${2:-}"; shift 2 ;;
    --work) WORK="${2:-}"; shift 2 ;;
    *) usage ;;
  esac
done
[ -n "$GEN" ] && [ -f "$GEN" ] || usage
for v in "$N" "$M" "$EPOCHS" "$IMGSZ" "$THREADS"; do [[ "$v" =~ ^[1-9][0-9]*$ ]] || usage; done

DI="node bin/die-inspect.js"
PY=/usr/bin/python3
mkdir -p "$WORK"
synth() { [ -f "$1/crops/data.yaml" ] || $DI synth --out "$1" "${@:2}" --crops > /dev/null; }
synth "$WORK/base" --count "$N" --seed 31
synth "$WORK/gan" --count "$M" --seed 32 --good-fraction 0 --gan-dies "$GEN" --gan-share 1
synth "$WORK/val" --count 200 --seed 33
synth "$WORK/test" --count 400 --seed 34

# (b)'s training folder: the N parts and the M generated-defect parts side by side
MIX="$WORK/mixed/crops"
if [ ! -f "$MIX/data.yaml" ]; then
  mkdir -p "$MIX/images" "$MIX/labels"
  for src in base gan; do
    for f in "$WORK/$src/crops/images/"*.jpg; do cp "$f" "$MIX/images/$src-$(basename "$f")"; done
    for f in "$WORK/$src/crops/labels/"*.txt; do cp "$f" "$MIX/labels/$src-$(basename "$f")"; done
  done
  cp "$WORK/base/crops/data.yaml" "$MIX/data.yaml"
fi

# the same budget: (b) sees N + M images an epoch, so it gets EPOCHS x N / (N + M) epochs
EPOCHS_B=$(( (EPOCHS * N + (N + M) / 2) / (N + M) ))
train() {  # name data epochs
  $PY models/recipes/train_detector.py --data "$2" --val "$WORK/val/crops" --imgsz "$IMGSZ" --epochs "$3" \
    --batch 16 --nbs 16 --optimizer adamw --lr0 0.002 --warmup-epochs 1 --val-every 5 --workers 0 \
    --threads "$THREADS" --seed 0 --out "$WORK/$1"
  [ -f "$WORK/$1.onnx" ] || $PY models/recipes/export_detector.py --weights "$WORK/$1/best.pt" --out "$WORK/$1.onnx"
}
train procedural "$WORK/base/crops" "$EPOCHS"
train with-gan "$MIX" "$EPOCHS_B"

echo "(a) $N procedural parts, $EPOCHS epochs; (b) the same + $M parts with generated defects, $EPOCHS_B epochs"
$DI eval -m "$WORK/procedural.onnx" -m "$WORK/with-gan.onnx" --data "$WORK/test/crops" --imgsz "$IMGSZ" \
  --bootstrap 1000 --seed 0 --json > "$WORK/eval.json"
$DI eval -m "$WORK/procedural.onnx" -m "$WORK/with-gan.onnx" --data "$WORK/test/crops" --imgsz "$IMGSZ" \
  --bootstrap 1000 --seed 0
