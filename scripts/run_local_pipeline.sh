#!/usr/bin/env bash
# The whole SLS pipeline on the local benchmark, on the shipped backbone (models/fmnist-vit8):
#   train a PETL method (full depth) -> eval -> prune (SLS) -> eval pruned (no retraining)
#   -> retrain the pruned model (CLR) -> eval retrained; then throughput of the full and the pruned model.
# Convpass on every task; every other method (RepAdapter, LoRA, AdaptFormer, VPT-deep, linear probe) on
# $METHOD_TASKS. Each step writes its JSON under $WORK/results/<task>/<method>/ and is skipped when that file
# exists, so an interrupted run picks up where it stopped. Then scripts/results_table.py writes docs/RESULTS.md's
# first part (above its marker line).
# Needs Debian's dataset-fashion-mnist. Time on 2 cores: see docs/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${WORK:-/tmp/slsprune-pipeline}
backbone=models/fmnist-vit8/backbone.safetensors
epochs=${EPOCHS:-30}
retrain_epochs=${RETRAIN_EPOCHS:-10}
tasks=${TASKS:-"natural-subset-scale natural-colour-texture specialized-noisy-blur specialized-inverted-lowcontrast structured-count structured-rotation structured-location"}
method_tasks=${METHOD_TASKS:-"structured-location"}
methods=${METHODS:-"repadapter lora adaptformer vpt linear"}
mkdir -p "$work/results"
# shellcheck source=scripts/pipeline_lib.sh
. scripts/pipeline_lib.sh
petl_args() { # the method's settings: hidden dim (LoRA rank, VPT prompts) and scale (LoRA: alpha / rank)
  case $1 in
    convpass|repadapter) echo "--petl-method $1 --petl-dim 8 --petl-scale 1" ;;
    lora) echo "--petl-method lora --petl-dim 8 --lora-alpha 8" ;;
    adaptformer) echo "--petl-method adaptformer --petl-dim 8 --petl-scale 0.1" ;;
    vpt) echo "--petl-method vpt --petl-dim 4" ;;
    linear) echo "--petl-method linear" ;;
  esac
}
pipeline() { # pipeline TASK METHOD
  local task=$1 method=$2
  echo "$task / $method"
  local data="$work/fm/tasks/$task" r="$work/results/$task/$method"; mkdir -p "$r"
  local petl="$r/petl.safetensors" retrained="$r/petl.pruned.safetensors"
  # shellcheck disable=SC2046
  step train "$r/train.json" -- sls train --backbone "$backbone" --data "$data" $(petl_args "$method") \
    --epochs "$epochs" --warmup-epochs 3 --lr 0.001 --eval-every 5 --batch-size 64 --seed 0 --out "$petl" --no-resume
  step eval-full "$r/eval-full.json" -- sls eval --backbone "$backbone" --petl "$petl" --data "$data"
  step prune "$r/prune.json" -- sls prune --backbone "$backbone" --petl "$petl" --data "$data" --out "$r/index.sls.json" --seed 0
  step eval-pruned "$r/eval-pruned.json" -- sls eval --backbone "$backbone" --petl "$petl" --data "$data" --index "$r/index.sls.json"
  # shellcheck disable=SC2046
  step retrain "$r/retrain.json" -- sls train --backbone "$backbone" --data "$data" $(petl_args "$method") \
    --index "$r/index.sls.json" --init-from "$petl" --strategy clr --epochs "$retrain_epochs" --warmup-epochs 1 --lr 0.001 \
    --eval-every 5 --batch-size 64 --seed 0 --out "$retrained" --no-resume
  step eval-retrained "$r/eval-retrained.json" -- sls eval --backbone "$backbone" --petl "$retrained" --data "$data" \
    --index "$r/petl.pruned.sls.json"
}
throughput() { # throughput TASK METHOD: full against pruned, same weights, one after another with nothing else running
  local data="$work/fm/tasks/$1" r="$work/results/$1/$2"
  local speed=(--throughput --throughput-batches 1,64 --repeats 20 --split train800val200)
  step throughput-full "$r/throughput-full.json" -- sls eval --backbone "$backbone" --petl "$r/petl.safetensors" --data "$data" "${speed[@]}"
  step throughput-pruned "$r/throughput-pruned.json" -- sls eval --backbone "$backbone" --petl "$r/petl.safetensors" --data "$data" \
    --index "$r/index.sls.json" "${speed[@]}"
}
start=$(date +%s)
for task in $tasks; do pipeline "$task" convpass; done
for task in $method_tasks; do for method in $methods; do pipeline "$task" "$method"; done; done
for task in $tasks; do throughput "$task" convpass; done
for task in $method_tasks; do for method in $methods; do throughput "$task" "$method"; done; done
echo "pipeline done in $(( $(date +%s) - start )) s"
# the table replaces docs/RESULTS.md above the marker line; the sections below it (other scripts') stay
python3 scripts/results_table.py "$work/results" > "$work/table.md"
python3 - "$work/table.md" <<'PY'
import sys
marker = "<!-- end of scripts/results_table.py's part -->"
doc = open("docs/RESULTS.md").read()
rest = doc[doc.index(marker):] if marker in doc else marker + "\n"
open("docs/RESULTS.md.tmp", "w").write(open(sys.argv[1]).read().rstrip("\n") + "\n\n" + rest)
PY
mv docs/RESULTS.md.tmp docs/RESULTS.md
