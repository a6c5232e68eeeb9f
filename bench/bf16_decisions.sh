#!/usr/bin/env bash
# --precision bf16 against fp32 in `sls prune`: the decision, the largest score difference and the method's wall time,
# for every model the local pipeline trained (scripts/run_local_pipeline.sh: WORK/results/<task>/<method>/petl.safetensors)
# on the shipped backbone. Prints one Markdown row per model.
#   bench/bf16_decisions.sh [WORK]   (default /tmp/slsprune-pipeline; the tool published there is used)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/slsprune-pipeline}
backbone=models/fmnist-vit8/backbone.safetensors
sls="$work/tool/sls"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "| task | method | blocks kept fp32 | blocks kept bf16 | largest score difference | prune s fp32 | prune s bf16 |"
echo "|---|---|---|---|---|---|---|"
for petl in "$work"/results/*/*/petl.safetensors; do
  r=$(dirname "$petl"); method=$(basename "$r"); task=$(basename "$(dirname "$r")")
  failed=
  for p in fp32 bf16; do
    "$sls" prune --backbone "$backbone" --petl "$petl" --data "$work/fm/tasks/$task" --seed 0 --precision "$p" \
      --out "$out/$p.sls.json" --json > "$out/$p.json" 2> "$out/$p.err" || failed="$p: $(tail -1 "$out/$p.err")"
  done
  if [ -n "$failed" ]; then echo "| $task | $method | failed: $failed | | | | |"; continue; fi
  /usr/bin/python3 - "$out" "$task" "$method" <<'PY'
import json, sys
out, task, method = sys.argv[1:]
i = {p: json.load(open(f"{out}/{p}.sls.json")) for p in ("fp32", "bf16")}
r = {p: json.load(open(f"{out}/{p}.json")) for p in ("fp32", "bf16")}
diff = max(abs(a - b) for a, b in zip(i["fp32"]["scores"], i["bf16"]["scores"]))
kept = {p: len(i[p]["kept_blocks"]) for p in i}
print(f"| {task} | {method} | {kept['fp32']} | {kept['bf16']} | {diff:.4f} | {r['fp32']['seconds']['method']:.2f} | {r['bf16']['seconds']['method']:.2f} |")
PY
done
