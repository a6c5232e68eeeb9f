#!/usr/bin/env bash
# Goals 1 and 2 of issue 34 side by side in one run: `sls train` (Convpass, LoRA, linear) against the same loop in
# PyTorch eager (bench/train_reference.py), an epoch against its matmuls alone (SlsPrune.Bench train-gflops), the
# optimizer step (adamw-step), and `sls eval`'s pass in TorchSharp and ONNX Runtime (eval-pass) against PyTorch eager
# (bench/eval_reference.py) at batch 64 and 1. Run it on a quiet machine; it prints the 1-minute load with each line.
# Usage: bench/train_eval_pairs.sh TASK_DIR [EPOCHS]   (TASK_DIR: a local task, e.g. from `sls data fashion-mnist`)
set -euo pipefail
cd "$(dirname "$0")/.."
task=$1; epochs=${2:-3}
B=bench/SlsPrune.Bench/bin/Release/net10.0/SlsPrune.Bench; M=models/fmnist-vit8/backbone.safetensors
P=models/fmnist-vit8/structured-location.convpass.safetensors
sls=(dotnet src/SlsPrune.Cli/bin/Release/net10.0/sls.dll)
out=$(mktemp -d)
load() { cut -d' ' -f1 /proc/loadavg; }
# wall COMMAND...: its seconds and peak RSS ("12.3 s, 456 MB"); its stdout in $out/stdout
wall() { /usr/bin/time -o "$out/time" -f '%e s, %M' "$@" > "$out/stdout" 2> "$out/stderr"; awk -F', ' '{printf "%s, %d MB", $1, $2 / 1024}' "$out/time"; }
echo "machine: $(nproc) cores, $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}'), load $(load)"
for method in convpass lora linear; do
  case $method in
    convpass) petl=(--petl-method convpass --petl-dim 8 --petl-scale 1) ;;
    lora) petl=(--petl-method lora --petl-dim 8 --lora-alpha 8) ;;
    linear) petl=(--petl-method linear) ;;
  esac
  l=$(load); t=$(wall "${sls[@]}" train --backbone $M --data "$task" "${petl[@]}" --epochs "$epochs" --warmup-epochs 1 --lr 0.001 \
    --batch-size 64 --seed 0 --eval-every "$epochs" --out "$out/$method.safetensors" --no-resume --json)
  acc=$(python3 -c "import json;d=json.load(open('$out/stdout'));print(d.get('best_accuracy', d.get('accuracy', '?')))" 2>/dev/null || echo "?")
  echo "sls train $method $epochs epochs: $t whole process (load $l), accuracy $acc"
  l=$(load); t=$(wall /usr/bin/python3 bench/train_reference.py $M "$task" --method $method --epochs "$epochs")
  echo "pytorch eager $method $epochs epochs: $t whole process (load $l): $(grep -E 'epochs_seconds|^eval' "$out/stdout" | tr '\n' ' ')"
  l=$(load); echo "train-gflops $method (load $l): $($B train-gflops $M "$task" $method 64 "$epochs" 2>&1 | tr '\n' ' ')"
done
l=$(load); echo "adamw-step convpass (load $l): $($B adamw-step $M convpass 2>&1 | tr '\n' ' ')"
l=$(load); echo "eval-pass (load $l): $($B eval-pass $M $P "$task" test 64,1 3 2>&1 | tr '\n' ' ')"
for b in 64 1; do
  l=$(load); echo "pytorch eager eval batch $b (load $l): $(/usr/bin/python3 bench/eval_reference.py $M $P "$task" --batch $b 2>&1 | tail -1)"
done
l=$(load); t=$(wall "${sls[@]}" eval --backbone $M --petl $P --data "$task" --split test)
echo "sls eval whole process: $t (load $l)"
rm -rf "$out"
