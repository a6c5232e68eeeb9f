#!/usr/bin/env bash
# Rebuilds models/ from scratch, deterministically (fixed seeds), on the CPU:
#   1. the local benchmark from Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)
#   2. a ViT backbone (patch 8, 32x32 input, width 192, 8 blocks, 3 heads) pre-trained on the 60k upstream images,
#      each drawn afresh every epoch with colour, tint, background texture and scale (--augment natural;
#      AUGMENT=none EPOCHS=3 rebuilds the earlier grey-only backbone)
#   3. Convpass weights for two downstream tasks: natural-subset-scale (near the upstream data) and
#      structured-location (far from it)
#   4. the calibration split (train800val200) of structured-location, for the quick start
# Time on 2 cores: see docs/user-guide.md ("Shipped models").
set -euo pipefail
cd "$(dirname "$0")/.."
work=${WORK:-/tmp/slsprune-shipped}
out=${OUT:-models/fmnist-vit8}
mkdir -p "$work" "$out"
# a published copy of the tool, so rebuilding the repository meanwhile cannot disturb the run
dotnet publish src/SlsPrune.Cli -c Release -o "$work/tool" -v quiet > /dev/null
sls() { "$work/tool/sls" "$@"; }
start=$(date +%s)
sls data fashion-mnist --out "$work/fm" --seed 0 > /dev/null
sls pretrain --upstream "$work/fm/upstream/train.safetensors" --out "$out/backbone.safetensors" \
  --image-size 32 --patch 8 --width 192 --depth 8 --heads 3 --mlp 384 --epochs "${EPOCHS:-6}" --augment "${AUGMENT:-natural}" --lr 0.001 --batch-size 128 --seed 0
for task in natural-subset-scale structured-location; do
  sls train --backbone "$out/backbone.safetensors" --data "$work/fm/tasks/$task" --petl-method convpass --petl-dim 8 --petl-scale 1 \
    --epochs 30 --warmup-epochs 3 --lr 0.001 --eval-every 5 --batch-size 64 --seed 0 --out "$out/$task.convpass.safetensors" --no-resume
  rm -f "$out/$task.convpass.safetensors.state.safetensors"
done
rm -rf "$out/calibration"
cal="$out/calibration/structured-location"
mkdir -p "$cal/images"
cp "$work/fm/tasks/structured-location/train800val200.txt" "$cal/"
awk '{print $1}' "$cal/train800val200.txt" | while read -r f; do cp "$work/fm/tasks/structured-location/$f" "$cal/$f"; done
cp "$work/fm/tasks/structured-location/task.json" "$cal/"
echo "models rebuilt in $(( $(date +%s) - start )) s"
du -sh "$out"
