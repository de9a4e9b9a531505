#!/bin/bash
# The training refinements of train_classifier.py, each measured: resnet18s trained EPOCHS
# (default 10) epochs six ways (class weights and a cosine schedule as the base; oversampling instead of
# class weights; neither; label smoothing 0.1; progressive resizing 128 -> 176 -> 224; a
# linear schedule), two runs at a time on one torch thread each, best epoch by validation
# AUC, exported and scored by `die-inspect eval` on a third split that chose nothing.
# Re-running resumes (every run checkpoints each epoch) and re-scores.
#   bash models/recipes/tools/classifier_refinements.sh TRAIN VAL SCORE OUTDIR [EPOCHS]
#   e.g. data/synth-train/crops data/synth-val/crops data/synth-abl/crops runs/refinements 10
# SCORE must hold good_defect.csv (path,label), as docs/evaluation.md writes it.
set -euo pipefail
train=$1 val=$2 score=$3 out=$4 epochs=${5:-10}
here=$(cd "$(dirname "$0")/../../.." && pwd)
py=/usr/bin/python3
mkdir -p "$out"
variants=(base oversample unbalanced smoothing progressive linear)
declare -A extra=([base]="" [oversample]="--oversample" [unbalanced]="--no-balance" [smoothing]="--label-smoothing 0.1"
  [progressive]="--progressive 128,176" [linear]="--schedule linear")
train_one() {
  # shellcheck disable=SC2086
  "$py" "$here/models/recipes/train_classifier.py" --data "$train" --val "$val" --imgsz 224 --region 0.12,0.1,0.68,0.9 \
    --epochs "$epochs" --batch 32 --lr0 0.002 --workers 0 --threads 1 --arch resnet18s --seed 0 --out "$out/$1" ${extra[$1]} \
    > "$out/$1.log" 2>&1
  "$py" "$here/models/recipes/export_classifier.py" --weights "$out/$1/best.pt" --out "$out/$1.onnx" >> "$out/$1.log" 2>&1
}
for ((i = 0; i < ${#variants[@]}; i += 2)); do
  train_one "${variants[i]}" & train_one "${variants[i + 1]}" & wait
done
echo "| variant | options | best epoch | val AUC (best epoch) | AUC on $score | 95% interval | ECE | train s/epoch |"
echo "|---|---|---|---|---|---|---|---|"
for v in "${variants[@]}"; do
  json=$(node "$here/bin/die-inspect.js" eval -m "$out/$v.onnx" --data "$score/good_defect.csv" --positive defective \
    --bootstrap 1000 --json)
  "$py" - "$v" "${extra[$v]:-(none)}" "$out/$v" "$json" <<'PY'
import csv, json, sys
v, opts, run, ev = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
rows = list(csv.DictReader(open(f'{run}/log.csv')))
best = max(rows, key=lambda r: float(r['auc']))
secs = sum(float(r['train_s']) for r in rows) / len(rows)
lo, hi = ev['intervals']['auc']
print(f"| {v} | `{opts}` | {best['epoch']} | {float(best['auc']):.5f} | {ev['auc']:.5f} | {lo:.5f}-{hi:.5f} | {ev['ece']:.4f} | {secs:.0f} |")
PY
done
