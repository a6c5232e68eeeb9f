#!/usr/bin/env bash
# Goal 4 of issue 34: one `sls batch` over a generated manifest of N prune+eval tasks (the shipped model's task,
# repeated under different names and seeds); after each task, the time since the start and the process's peak RSS
# (VmHWM), so one run gives the curve (tasks against time, memory as tasks grow); then the same tasks one process
# per command (`sls eval`, `sls prune`, `sls eval --index`, as without batch).
# Usage: bench/batch_curve.sh WORK [N] [SINGLES] [CALIBRATION]   (N default 50; SINGLES: tasks timed alone, default 3;
# CALIBRATION: images per task, default 200; 0 = the whole split; DATA=TASK and EVAL_SPLIT=SPLIT override the task
# and the eval split)
set -euo pipefail
work=$1; n=${2:-50}; singles=${3:-3}; calib=${4:-200}
root=$(pwd); sls=(dotnet "$root/src/SlsPrune.Cli/bin/Release/net10.0/sls.dll")
M=$root/models/fmnist-vit8; DATA=${DATA:-$M/calibration/structured-location}; PETL=$M/structured-location.convpass.safetensors; EVAL=${EVAL_SPLIT:-train800val200}
mkdir -p "$work"; rm -rf "$work/out"
calibjson=""; calibflag=()
if [ "$calib" != 0 ]; then calibjson=", \"calibration\": $calib"; calibflag=(--calibration "$calib"); fi
{ echo "{ \"backbone\": \"$M/backbone.safetensors\","
  echo "  \"defaults\": { \"stages\": [\"prune\", \"eval\"], \"alpha\": 0.3, \"eval_split\": \"$EVAL\"$calibjson },"
  echo "  \"tasks\": ["
  for i in $(seq 1 "$n"); do
    sep=,; [ "$i" = "$n" ] && sep=
    echo "    { \"name\": \"t$i\", \"data\": \"$DATA\", \"petl\": \"$PETL\", \"group\": \"structured\", \"classes\": 5, \"settings\": { \"seed\": $i } }$sep"
  done
  echo "  ] }"; } > "$work/m.json"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
"${sls[@]}" batch --manifest "$work/m.json" --out "$work/out" >/dev/null 2>"$work/log" &
pid=$!
echo "| tasks done | seconds since start | peak RSS MB | load |"
done_before=0
while kill -0 $pid 2>/dev/null; do
  d=$(grep -c ": ok in " "$work/log" || true)
  if [ "$d" != "$done_before" ]; then
    hwm=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$pid/status 2>/dev/null || echo "?")
    printf '| %d | %.1f | %s | %s |\n' "$d" "$(echo "$(date +%s.%N) - $start" | bc)" "$hwm" "$(cut -d' ' -f1 /proc/loadavg)"
    done_before=$d
  fi
  sleep 0.2
done
wait $pid || true
printf 'batch of %d tasks: %.1f s\n' "$n" "$(echo "$(date +%s.%N) - $start" | bc)"
total=0
for i in $(seq 1 "$singles"); do
  s=$(date +%s.%N)
  "${sls[@]}" eval --backbone "$M/backbone.safetensors" --petl "$PETL" --data "$DATA" --split "$EVAL" >/dev/null 2>&1
  "${sls[@]}" prune --backbone "$M/backbone.safetensors" --petl "$PETL" --data "$DATA" "${calibflag[@]}" --seed "$i" --alpha 0.3 --out "$work/single$i.sls.json" >/dev/null 2>&1
  "${sls[@]}" eval --backbone "$M/backbone.safetensors" --petl "$PETL" --data "$DATA" --split "$EVAL" --index "$work/single$i.sls.json" >/dev/null 2>&1
  e=$(date +%s.%N); total=$(echo "$total + $e - $s" | bc -l)
done
printf 'single processes (eval, prune, eval --index: 3 processes per task), mean of %d tasks: %.2f s per task (load after %s)\n' "$singles" "$(echo "$total / $singles" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)"
