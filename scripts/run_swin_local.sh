#!/usr/bin/env bash
# The cut rule on a tiny Swin, measured at every depth, on the local benchmark (docs/RESULTS.md, "Swin"):
#   sls pretrain --family swin on Fashion-MNIST's upstream images (32 px, patch 2, window 4, width 32, depths 2-2-2)
#   -> per task: a PETL method trained at full depth -> sls prune (SLS: decision, and the index's depth_accuracy:
#   the model cut after every block, no retraining, on val200) -> sls prune --method probe (per cut depth a fresh
#   ridge linear head on the mean-pooled output of the cut block, fitted on train800, scored on val200)
#   -> sls prune --method depgraph (half of every block's heads and MLP units) -> eval full and width-pruned on test.
# Then scripts/swin_table.py prints the tables. Each step is skipped when its output exists. Needs Debian's
# dataset-fashion-mnist. Settings by environment: LIMIT (upstream images), PRE_EPOCHS, METHOD, EPOCHS, TASKS.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${WORK:-/tmp/slsprune-swin}
limit=${LIMIT:-12000}
pre_epochs=${PRE_EPOCHS:-1}
method=${METHOD:-linear}
epochs=${EPOCHS:-10}
tasks=${TASKS:-"natural-subset-scale natural-colour-texture specialized-noisy-blur specialized-inverted-lowcontrast structured-count structured-rotation structured-location"}
mkdir -p "$work/results"
# shellcheck source=scripts/pipeline_lib.sh
. scripts/pipeline_lib.sh
start=$(date +%s)
backbone=$work/swin.safetensors
step pretrain "$work/pretrain.json" -- sls pretrain --family swin --upstream "$work/fm/upstream/train.safetensors" --out "$backbone" \
  --image-size 32 --patch 2 --width 32 --depths 2,2,2 --stage-heads 2,4,8 --window 4 --mlp-ratio 4 \
  --epochs "$pre_epochs" --limit "$limit" --warmup-steps 40 --lr 1e-3 --batch-size 64 --seed 0 --device cpu
case $method in
  convpass|repadapter) petl=(--petl-method "$method" --petl-dim 8 --petl-scale 1) ;;
  lora) petl=(--petl-method lora --petl-dim 8 --lora-alpha 8) ;;
  *) petl=(--petl-method linear) ;;
esac
model=(--backbone "$backbone" --image-size 32 --device cpu)
for task in $tasks; do
  echo "$task / $method"
  data="$work/fm/tasks/$task" r="$work/results/$task/$method"; mkdir -p "$r"
  step train "$r/train.json" -- sls train "${model[@]}" --data "$data" "${petl[@]}" --epochs "$epochs" --warmup-epochs 1 \
    --lr 1e-3 --eval-every "$epochs" --batch-size 64 --seed 0 --out "$r/petl.safetensors" --no-resume
  step prune "$r/prune.json" -- sls prune "${model[@]}" --petl "$r/petl.safetensors" --data "$data" --out "$r/index.sls.json" --seed 0
  step probe "$r/probe.json" -- sls prune "${model[@]}" --petl "$r/petl.safetensors" --data "$data" --method probe \
    --out "$r/probe.sls.json"
  # width pruning on the same model: half of every block's heads and MLP units (DepGraph-style, l2 importance), no retraining
  step eval-full "$r/eval-full.json" -- sls eval "${model[@]}" --petl "$r/petl.safetensors" --data "$data"
  step depgraph "$r/depgraph.json" -- sls prune "${model[@]}" --petl "$r/petl.safetensors" --data "$data" --method depgraph \
    --ratio "${WIDTH_RATIO:-0.5}" --importance l2 --out "$r/depgraph.sls.json"
  step eval-depgraph "$r/eval-depgraph.json" -- sls eval "${model[@]}" --petl "$r/petl.safetensors" --data "$data" --index "$r/depgraph.sls.json"
done
echo "done in $(( $(date +%s) - start )) s"
python3 scripts/swin_table.py "$work" "$method"
