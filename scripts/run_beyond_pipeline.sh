#!/usr/bin/env bash
# SLS beyond the paper, on the whole local benchmark (shipped backbone, Convpass on every task):
#   train (full depth) -> eval -> prune (SLS, 5 t-SNE seeds; accuracy of every depth on val200; alpha sweep)
#   -> eval pruned -> retrain CLR -> eval -> retrain CLR with distillation from the unpruned model -> eval.
# Tasks whose Convpass weights models/fmnist-vit8 ships (trained by scripts/make_shipped_models.sh with the same recipe)
# start from those. Each step writes its JSON under $WORK/<task>/ and is skipped when that file exists (an interrupted run resumes).
# Then scripts/beyond_table.py prints the tables of docs/RESULTS.md's "Beyond the paper" section.
# Needs Debian's dataset-fashion-mnist.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${WORK:-/tmp/slsprune-beyond}
backbone=models/fmnist-vit8/backbone.safetensors
epochs=${EPOCHS:-30}
retrain_epochs=${RETRAIN_EPOCHS:-10}
seeds=${SEEDS:-5}
tasks=${TASKS:-"natural-subset-scale natural-colour-texture specialized-noisy-blur specialized-inverted-lowcontrast structured-count structured-rotation structured-location"}
mkdir -p "$work"
# shellcheck source=scripts/pipeline_lib.sh
. scripts/pipeline_lib.sh
start=$(date +%s)
for task in $tasks; do
  echo "$task"
  data="$work/fm/tasks/$task" r="$work/$task"; mkdir -p "$r"
  petl="$r/petl.safetensors"
  adapters=(--petl-method convpass --petl-dim 8 --petl-scale 1)
  # a task whose Convpass weights are shipped (models/fmnist-vit8, same recipe) starts from them
  shipped="models/fmnist-vit8/$task.convpass.safetensors"
  if [ -z "${RETRAIN_SHIPPED:-}" ] && [ -f "$shipped" ] && [ ! -f "$petl" ]; then cp "$shipped" "$petl"; fi
  [ -f "$petl" ] || step train "$r/train.json" -- sls train --backbone "$backbone" --data "$data" "${adapters[@]}" \
    --epochs "$epochs" --warmup-epochs 3 --lr 0.001 --eval-every 5 --batch-size 64 --seed 0 --out "$petl" --no-resume
  step eval-full "$r/eval-full.json" -- sls eval --backbone "$backbone" --petl "$petl" --data "$data"
  step prune "$r/prune.json" -- sls prune --backbone "$backbone" --petl "$petl" --data "$data" --out "$r/index.sls.json" \
    --seed 0 --tsne-seeds "$seeds" --accuracy-split val200
  step eval-pruned "$r/eval-pruned.json" -- sls eval --backbone "$backbone" --petl "$petl" --data "$data" --index "$r/index.sls.json"
  for kind in clr distill; do
    extra=(); [ "$kind" = distill ] && extra=(--distill)
    step "retrain-$kind" "$r/retrain-$kind.json" -- sls train --backbone "$backbone" --data "$data" "${adapters[@]}" \
      --index "$r/index.sls.json" --init-from "$petl" --strategy clr --epochs "$retrain_epochs" --warmup-epochs 1 --lr 0.001 \
      --eval-every 5 --batch-size 64 --seed 0 --out "$r/petl.$kind.safetensors" --no-resume "${extra[@]}"
    step "eval-$kind" "$r/eval-$kind.json" -- sls eval --backbone "$backbone" --petl "$r/petl.$kind.safetensors" --data "$data" \
      --index "$r/petl.$kind.sls.json"
  done
done
echo "done in $(( $(date +%s) - start )) s"
/usr/bin/python3 scripts/beyond_table.py "$work"
