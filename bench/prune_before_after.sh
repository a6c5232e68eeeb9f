#!/usr/bin/env bash
# Goal 3 of issue 34, a change measured against the tool before it: rounds of `sls prune` (no flags) by the tool
# before, by the tool now, and the SLS reference loop (bench/reference_pipeline.py), with the ratios of the round.
# A 3 s pause before each run lets the reference's DataLoader workers end before the next run starts.
# Usage: bench/prune_before_after.sh BEFORE_SLS NOW_SLS [ROUNDS]   (e.g. two installed tools: /tmp/old/sls /tmp/new/sls)
# Another task: PETL=models/fmnist-vit8/natural-subset-scale.convpass.safetensors DATA=/tmp/fm/tasks/natural-subset-scale
# (its data from `sls data fashion-mnist --out /tmp/fm --seed 0`).
set -euo pipefail
cd "$(dirname "$0")/.."
before=$1; now=$2
out=$(mktemp -d)
M=models/fmnist-vit8; PETL=${PETL:-$M/structured-location.convpass.safetensors}; DATA=${DATA:-$M/calibration/structured-location}
wall() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>"$out/err" || { cat "$out/err" >&2; exit 1; }; e=$(date +%s.%N); echo "$e - $s" | bc; }
# each tool keeps its JIT profile (sls's start-up cache) in a folder of its own, so neither reads the other's; the first
# round records it
mkdir -p "$out/cache-before" "$out/cache-now"
for r in $(seq 1 "${3:-3}"); do
  sleep 3; l1=$(cut -d' ' -f1 /proc/loadavg); a=$(XDG_CACHE_HOME=$out/cache-before wall "$before" prune --backbone $M/backbone.safetensors --petl $PETL --data $DATA --out "$out/before.sls.json")
  sleep 3; l2=$(cut -d' ' -f1 /proc/loadavg); b=$(XDG_CACHE_HOME=$out/cache-now wall "$now" prune --backbone $M/backbone.safetensors --petl $PETL --data $DATA --out "$out/now.sls.json")
  st=$(grep -o '[a-zA-Z-]*: done in [0-9.]* s' "$out/err" | tr '\n' ' ')
  sleep 3; l3=$(cut -d' ' -f1 /proc/loadavg); c=$(wall /usr/bin/python3 bench/reference_pipeline.py $M/backbone.safetensors $PETL $DATA)
  printf 'round %d: before %.2f s (load %s) | now %.2f s (load %s) | reference %.2f s (load %s) | ratios %.1fx before, %.1fx now\n' \
    "$r" "$a" "$l1" "$b" "$l2" "$c" "$l3" "$(echo "$c / $a" | bc -l)" "$(echo "$c / $b" | bc -l)"
  echo "  now's stages: $st"
done
rm -rf "$out"
