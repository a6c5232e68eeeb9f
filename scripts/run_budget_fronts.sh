#!/usr/bin/env bash
# The budget's front on the local benchmark (docs/RESULTS.md "Pruning to a budget"): for each task, `sls prune
# --budget flops=$BUDGET` (SLS, alpha 0.3, seed 0, every depth's accuracy on val200) with --plots, which writes
# front.png beside the score figure. The two tasks whose Convpass files ship (models/fmnist-vit8) use them; the
# others train Convpass first as scripts/run_local_pipeline.sh does (30 epochs; about 80 s a task on 2 idle cores).
# TASKS picks the tasks (default: the shipped two). Each step is skipped when its output exists.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${WORK:-/tmp/slsprune-budget}
budget=${BUDGET:-0.6}
backbone=models/fmnist-vit8/backbone.safetensors
tasks=${TASKS:-"structured-location natural-subset-scale"}
# shellcheck source=scripts/pipeline_lib.sh
. scripts/pipeline_lib.sh
for task in $tasks; do
  echo "$task"
  data="$work/fm/tasks/$task" r="$work/results/$task"; mkdir -p "$r"
  petl="models/fmnist-vit8/$task.convpass.safetensors"
  if [ ! -f "$petl" ]; then
    petl="$r/petl.safetensors"
    step train "$r/train.json" -- sls train --backbone "$backbone" --data "$data" --petl-method convpass --petl-dim 8 --petl-scale 1 \
      --epochs 30 --warmup-epochs 3 --lr 0.001 --eval-every 5 --batch-size 64 --seed 0 --out "$petl" --no-resume
  fi
  step prune "$r/prune.json" -- sls prune --backbone "$backbone" --petl "$petl" --data "$data" --out "$r/index.sls.json" --seed 0 \
    --budget "flops=$budget" --plots "$r/plots"
done
