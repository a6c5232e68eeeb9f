#!/usr/bin/env bash
# The GPU measurements of docs/BENCHMARKS.md ("CUDA"), run on a machine with PyTorch (CUDA), timm and
# scikit-learn but no .NET: `sls` travels as the self-contained publish of scripts/publish_external.sh and
# uses that PyTorch's libtorch through SLS_LIBTORCH.
#
#     bench/gpu/run.sh TOOL_DIR OUT_DIR
#
# 1. CPU-CUDA agreement: `sls prune` (features, scores, decision) and `sls eval` (accuracy) on the shipped
#    model and on a random-weight ViT-B/16 with Convpass (bench/gpu/make_vitb.py), 1000 calibration images,
#    CPU fp32 against CUDA fp32 / bf16 / fp16 (bench/gpu/compare.py).
# 2. Forward throughput at batch 1, 64 and 256, `sls eval --throughput` against timm on the same weights
#    (bench/gpu/forward_reference.py).
# 3. FEM time (t-SNE + silhouette over 12 layers x 1000 x 768): `sls prune`'s own timing on CUDA and on
#    the CPU, against scikit-learn on the same features (bench/fem_reference.py).
# 4. Issue 34, goal 5: `sls prune` with no flags against the SLS reference loop (bench/reference_pipeline.py
#    --device cuda), both on the GPU, ViT-B/16 + Convpass, the 1000 calibration images; two alternating rounds.
# 5. Issue 34, goal 5: `sls train` (Convpass, batch 64) against the same loop in PyTorch eager on the GPU
#    (bench/train_reference.py --device cuda, images decoded once as `sls train` keeps them), ViT-B/16,
#    2 epochs over the 1000 calibration images, one evaluation of 200 of them.
set -uo pipefail
cd "$(dirname "$0")/../.."
tool=$(cd "$1" && pwd); out=$2; mkdir -p "$out"; feats=/tmp/sls-gpu-feats; mkdir -p "$feats"
SLS_LIBTORCH=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
export SLS_LIBTORCH
sls() { "$tool/sls" "$@"; }
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; nproc
  python3 -c 'import torch, timm, sklearn; print("torch", torch.__version__, "cuda", torch.version.cuda, "timm", timm.__version__, "sklearn", sklearn.__version__)'
} > "$out/env.txt"
cat "$out/env.txt"
cal=models/fmnist-vit8/calibration/structured-location
vitb=/tmp/sls-vitb
python3 bench/gpu/make_vitb.py "$vitb" 5

run() { # run NAME BACKBONE PETL DEVICE PRECISION
  local name=$1 backbone=$2 petl=$3 device=$4 precision=$5
  sls prune --backbone "$backbone" --petl "$petl" --data "$cal" --device "$device" --precision "$precision" \
    --out "$out/$name.index.json" --features-out "$feats/$name.safetensors" --json > "$out/$name.prune.json" 2> "$out/$name.prune.log" \
    || { echo "$name: prune failed"; tail -3 "$out/$name.prune.log"; }
  sls eval --backbone "$backbone" --petl "$petl" --data "$cal" --split train800val200 --device "$device" --precision "$precision" \
    --json > "$out/$name.eval.json" 2> "$out/$name.eval.log" || { echo "$name: eval failed"; tail -3 "$out/$name.eval.log"; }
  echo "$name: $(python3 -c "import json; d=json.load(open('$out/$name.prune.json')); print(d['seconds'])" 2>/dev/null)"
}
compare() { # compare REF OTHER
  python3 bench/gpu/compare.py "$2" "$feats/$1.safetensors" "$out/$1.index.json" "$out/$1.eval.json" \
    "$feats/$2.safetensors" "$out/$2.index.json" "$out/$2.eval.json" | tee -a "$out/compare.jsonl"
}
small=models/fmnist-vit8
for d in cpu-fp32 cuda-fp32 cuda-bf16 cuda-fp16; do
  run "small-$d" $small/backbone.safetensors $small/structured-location.convpass.safetensors "${d%-*}" "${d#*-}"
done
for d in cpu-fp32 cuda-fp32 cuda-bf16 cuda-fp16; do
  run "vitb-$d" $vitb/backbone.safetensors $vitb/convpass.safetensors "${d%-*}" "${d#*-}"
done
for d in cuda-fp32 cuda-bf16 cuda-fp16; do compare small-cpu-fp32 "small-$d"; compare vitb-cpu-fp32 "vitb-$d"; done

for p in fp32 bf16 fp16; do
  for petl in linear convpass; do
    sls eval --backbone $vitb/backbone.safetensors --petl $vitb/$petl.safetensors --data "$cal" --split train800val200 --device cuda \
      --precision $p --throughput --throughput-batches 1,64,256 --repeats 20 --json > "$out/throughput-$petl-$p.json"
    python3 -c "import json; d=json.load(open('$out/throughput-$petl-$p.json')); print('sls $petl $p', [(t['batch_size'], round(t['images_per_second'], 1)) for t in d['throughput']])"
  done
done
python3 bench/gpu/forward_reference.py $vitb/backbone.safetensors $vitb/linear.safetensors 1,64,256 20 > "$out/throughput-timm.json"
python3 -c "import json; d=json.load(open('$out/throughput-timm.json')); [print('timm', k, [(t['batch_size'], round(t['images_per_second'], 1)) for t in v]) for k, v in d['runs'].items()]"
/usr/bin/env python3 bench/fem_reference.py "$feats/vitb-cpu-fp32.safetensors" > "$out/fem-sklearn.txt"
cat "$out/fem-sklearn.txt"

# 4 and 5: whole processes, in seconds from the spawn
secs() { local s e; s=$(date +%s.%N); "$@" > "$out/last.out" 2> "$out/last.err" || { echo "failed: $*"; tail -3 "$out/last.err"; } >&2
  e=$(date +%s.%N); python3 -c "print(round($e - $s, 2))"; }
ratio() { python3 -c "print(round($1 / $2, 1))"; }
for r in 1 2; do
  a=$(secs sls prune --backbone $vitb/backbone.safetensors --petl $vitb/convpass.safetensors --data "$cal" --device cuda \
    --out "$out/loop-$r.index.json" --json); cp "$out/last.out" "$out/loop-$r.prune.json"
  b=$(secs python3 bench/reference_pipeline.py $vitb/backbone.safetensors $vitb/convpass.safetensors "$cal" --device cuda \
    --heads 12 --workers 4); cp "$out/last.out" "$out/loop-$r.reference.txt"
  echo "prune round $r: sls $a s, reference loop $b s ($(grep kept_blocks "$out/loop-$r.reference.txt")), ratio $(ratio "$b" "$a")x"
done
task=/tmp/sls-gpu-task; mkdir -p "$task"; ln -sfn "$PWD/$cal/images" "$task/images"
cp "$cal/task.json" "$cal/train800val200.txt" "$task/"; tail -n 200 "$cal/train800val200.txt" > "$task/test.txt"
a=$(secs sls train --backbone $vitb/backbone.safetensors --data "$task" --petl-method convpass --petl-dim 8 --petl-scale 1 \
  --epochs 2 --warmup-epochs 1 --lr 0.001 --batch-size 64 --seed 0 --eval-every 2 --device cuda \
  --out "$out/train.safetensors" --no-resume --json); cp "$out/last.out" "$out/train.sls.json"
b=$(secs python3 bench/train_reference.py $vitb/backbone.safetensors "$task" --method convpass --epochs 2 --heads 12 --cache \
  --device cuda); cp "$out/last.out" "$out/train.reference.txt"
echo "train: sls $a s, PyTorch eager $b s ($(grep -E 'epochs_seconds' "$out/train.reference.txt")), ratio $(ratio "$b" "$a")x"
