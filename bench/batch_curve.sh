#!/usr/bin/env bash
# Goal 4 of issue 34: `sls batch` over generated manifests of N prune+eval tasks (the shipped model's task, repeated
# under different names and seeds), wall time and max RSS per N, against the same tasks run one process per command
# (`sls prune` then `sls eval`, as without batch).
# Usage: bench/batch_curve.sh WORK "5 10 25 50" [SINGLES] [CALIBRATION]   (SINGLES: how many tasks to time alone, default 5;
# CALIBRATION: images per task, default 200; 0 = the whole split, 1000; DATA=TASK and EVAL_SPLIT=SPLIT override the task and eval split)
set -euo pipefail
work=$1; sizes=${2:-"5 10 25 50"}; singles=${3:-5}; calib=${4:-200}
root=$(pwd); sls=(dotnet "$root/src/SlsPrune.Cli/bin/Release/net10.0/sls.dll")
M=$root/models/fmnist-vit8; DATA=${DATA:-$M/calibration/structured-location}; PETL=$M/structured-location.convpass.safetensors; EVAL=${EVAL_SPLIT:-train800val200}
mkdir -p "$work"
calibjson=""; calibflag=()
if [ "$calib" != 0 ]; then calibjson=", \"calibration\": $calib"; calibflag=(--calibration "$calib"); fi
manifest() { # N FILE
  { echo "{ \"backbone\": \"$M/backbone.safetensors\","
    echo "  \"defaults\": { \"stages\": [\"prune\", \"eval\"], \"alpha\": 0.3, \"eval_split\": \"$EVAL\"$calibjson },"
    echo "  \"tasks\": ["
    for i in $(seq 1 "$1"); do
      sep=,; [ "$i" = "$1" ] && sep=
      echo "    { \"name\": \"t$i\", \"data\": \"$DATA\", \"petl\": \"$PETL\", \"group\": \"structured\", \"classes\": 5, \"settings\": { \"seed\": $i } }$sep"
    done
    echo "  ] }"; } > "$2"
}
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| tasks | batch wall s | per task s | max RSS MB | load before |"
for n in $sizes; do
  manifest "$n" "$work/m$n.json"; rm -rf "$work/out$n"
  l=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%e %M" -o "$work/time$n" "${sls[@]}" batch --manifest "$work/m$n.json" --out "$work/out$n" >/dev/null 2>"$work/log$n"
  read -r w rss < "$work/time$n"
  printf '| %d | %.1f | %.2f | %d | %s |\n' "$n" "$w" "$(echo "$w / $n" | bc -l)" "$((rss / 1024))" "$l"
done
# the same tasks one process per command
total=0
for i in $(seq 1 "$singles"); do
  s=$(date +%s.%N)
  "${sls[@]}" eval --backbone "$M/backbone.safetensors" --petl "$PETL" --data "$DATA" --split "$EVAL" >/dev/null 2>&1
  "${sls[@]}" prune --backbone "$M/backbone.safetensors" --petl "$PETL" --data "$DATA" "${calibflag[@]}" --seed "$i" --alpha 0.3 --out "$work/single$i.sls.json" >/dev/null 2>&1
  "${sls[@]}" eval --backbone "$M/backbone.safetensors" --petl "$PETL" --data "$DATA" --split "$EVAL" --index "$work/single$i.sls.json" >/dev/null 2>&1
  e=$(date +%s.%N); total=$(echo "$total + $e - $s" | bc -l)
done
printf 'single processes (eval full, prune, eval pruned per task: 3 processes), mean of %d tasks: %.2f s per task (load after %s)\n' "$singles" "$(echo "$total / $singles" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)"
