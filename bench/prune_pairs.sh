#!/usr/bin/env bash
# Goal 3 of issue 34: `sls prune` with no flags against the SLS reference loop (bench/reference_pipeline.py), in
# alternating pairs on the same machine, with the per-pair ratio. Also `--scoring all` (every layer) in each round.
# Usage: bench/prune_pairs.sh ROUNDS [SLS_COMMAND...]   (default command: dotnet src/SlsPrune.Cli/bin/Release/net10.0/sls.dll)
# Prints the 1-minute load before each run: time only when it is below about 2.5 on the 2-core machine.
set -euo pipefail
rounds=${1:-2}; shift || true
sls=("$@"); [ ${#sls[@]} -eq 0 ] && sls=(dotnet src/SlsPrune.Cli/bin/Release/net10.0/sls.dll)
M=${MODEL:-models/fmnist-vit8}; PETL=${PETL:-$M/structured-location.convpass.safetensors}; DATA=${DATA:-$M/calibration/structured-location}
out=$(mktemp -d)
wall() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>"$out/err" || { cat "$out/err" >&2; exit 1; }; e=$(date +%s.%N); cp "$out/err" "$out/last.err"; echo "$e - $s" | bc; }
load() { cut -d' ' -f1 /proc/loadavg; }
for r in $(seq 1 "$rounds"); do
  l1=$(load); a=$(wall "${sls[@]}" prune --backbone $M/backbone.safetensors --petl "$PETL" --data "$DATA" --out "$out/auto.sls.json")
  stages=$(grep -o '[a-zA-Z-]*: done in [0-9.]* s' "$out/last.err" | tr '\n' ' ')
  l2=$(load); b=$(wall "${sls[@]}" prune --backbone $M/backbone.safetensors --petl "$PETL" --data "$DATA" --out "$out/all.sls.json" --scoring all)
  l3=$(load); c=$(wall /usr/bin/python3 bench/reference_pipeline.py $M/backbone.safetensors "$PETL" "$DATA")
  ka=$(python3 -c "import json;print(len(json.load(open('$out/auto.sls.json'))['kept_blocks']))")
  kb=$(python3 -c "import json;print(len(json.load(open('$out/all.sls.json'))['kept_blocks']))")
  printf 'round %d: default %.2f s (load %s, keeps %s) | --scoring all %.2f s (load %s, keeps %s) | reference %.2f s (load %s) | ratios %.1fx, %.1fx\n' \
    "$r" "$a" "$l1" "$ka" "$b" "$l2" "$kb" "$c" "$l3" "$(echo "$c / $a" | bc -l)" "$(echo "$c / $b" | bc -l)"
  echo "  default's stages: $stages"
done
rm -rf "$out"
