#!/usr/bin/env bash
# Goal 4 of issue 34, the local benchmark: one `sls batch` over its 7 tasks (scripts/batch/local-benchmark.json:
# Convpass trained 30 epochs, pruned, evaluated, retrained 10 epochs, evaluated; throughput off) against the same
# tasks one process per command, as scripts/run_local_pipeline.sh runs them (sls train, eval, prune, eval --index,
# train --index, eval). Both with the same published tool. Prints the wall time of each task both ways and the sums.
# Usage: bench/batch_local.sh [WORK]   (default /tmp/slsprune-batch-local; needs Debian's dataset-fashion-mnist)
# TASKS=... times only those tasks one process per command; BATCH=0 skips the batch.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/slsprune-batch-local}
# shellcheck source=scripts/pipeline_lib.sh
. scripts/pipeline_lib.sh
backbone=$(pwd)/models/fmnist-vit8/backbone.safetensors
tasks=${TASKS:-"natural-subset-scale natural-colour-texture specialized-noisy-blur specialized-inverted-lowcontrast structured-count structured-rotation structured-location"}
/usr/bin/python3 - "$work" "$backbone" <<'PY'
import json, sys
work, backbone = sys.argv[1], sys.argv[2]
m = json.load(open("scripts/batch/local-benchmark.json"))
m["backbone"] = backbone
m["defaults"]["throughput"] = False
for t in m["tasks"]:
    t["data"] = f"{work}/fm/tasks/{t['name']}"
json.dump(m, open(f"{work}/manifest.json", "w"), indent=1)
PY
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${BATCH:-1}" = 1 ]; then
rm -rf "$work/batch"
s=$(date +%s.%N)
"$work/tool/sls" batch --manifest "$work/manifest.json" --out "$work/batch" > /dev/null 2> "$work/batch.log"
e=$(date +%s.%N)
printf 'batch: %.1f s for 7 tasks (load after %s)\n' "$(echo "$e - $s" | bc)" "$(cut -d' ' -f1 /proc/loadavg)"
grep ': ok in ' "$work/batch.log" || true
fi
total=0
for task in $tasks; do
  data="$work/fm/tasks/$task" r="$work/single/$task"; rm -rf "$r"; mkdir -p "$r"
  ts=$(date +%s.%N)
  common=(--petl-method convpass --petl-dim 8 --petl-scale 1 --lr 0.001 --batch-size 64 --seed 0 --eval-every 5 --no-resume)
  sls train --backbone "$backbone" --data "$data" "${common[@]}" --epochs 30 --warmup-epochs 3 --out "$r/petl.safetensors" > /dev/null 2>&1
  sls eval --backbone "$backbone" --petl "$r/petl.safetensors" --data "$data" --split test > /dev/null 2>&1
  sls prune --backbone "$backbone" --petl "$r/petl.safetensors" --data "$data" --out "$r/index.sls.json" --seed 0 --alpha 0.3 > /dev/null 2>&1
  sls eval --backbone "$backbone" --petl "$r/petl.safetensors" --data "$data" --split test --index "$r/index.sls.json" > /dev/null 2>&1
  sls train --backbone "$backbone" --data "$data" "${common[@]}" --index "$r/index.sls.json" --init-from "$r/petl.safetensors" \
    --strategy clr --epochs 10 --warmup-epochs 1 --out "$r/petl.pruned.safetensors" > /dev/null 2>&1
  # an index that keeps every block skips retraining (no pruned PETL file): nothing to evaluate again, as in the batch
  if [ -f "$r/petl.pruned.sls.json" ]; then
    sls eval --backbone "$backbone" --petl "$r/petl.pruned.safetensors" --data "$data" --split test --index "$r/petl.pruned.sls.json" > /dev/null 2>&1
  fi
  te=$(date +%s.%N); dt=$(echo "$te - $ts" | bc -l); total=$(echo "$total + $dt" | bc -l)
  printf 'single processes: %s %.1f s\n' "$task" "$dt"
done
printf 'single processes: %.1f s for 7 tasks (load after %s)\n' "$total" "$(cut -d' ' -f1 /proc/loadavg)"
