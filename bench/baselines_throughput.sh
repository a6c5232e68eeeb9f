#!/usr/bin/env bash
# Throughput of every pruning method's model at one budget, on this machine's CPU (docs/BENCHMARKS.md,
# "Baselines"): the shipped Convpass model of structured-location, SLS's index, and each baseline at SLS's
# budget (--match-index); spa on a SPLoRA model trained here. Full and pruned models are timed in turns
# (ABAB...), ROUNDS times, `sls eval --throughput --repeats 20` each; medians of the rounds are reported.
#
#     bench/baselines_throughput.sh OUT [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bench/baselines_throughput.sh OUT [ROUNDS]}; rounds=${2:-3}
mkdir -p "$out"; out=$(cd "$out" && pwd)
[ -x "$out/tool/sls" ] || dotnet publish src/SlsPrune.Cli -c Release -o "$out/tool" -v quiet > /dev/null
sls() { "$out/tool/sls" "$@"; }
data=${DATA:-data/fm}; task=$data/tasks/structured-location
[ -d "$task" ] || sls data fashion-mnist --out "$data" > /dev/null
b=models/fmnist-vit8/backbone.safetensors; p=models/fmnist-vit8/structured-location.convpass.safetensors
m=(--backbone "$b" --data "$task" --device cpu)
[ -s "$out/sls.sls.json" ] || sls prune "${m[@]}" --petl "$p" --out "$out/sls.sls.json" > /dev/null
for method in bi cka probe depgraph aglp; do
  [ -s "$out/$method.sls.json" ] || sls prune "${m[@]}" --petl "$p" --method "$method" --match-index "$out/sls.sls.json" --out "$out/$method.sls.json" > /dev/null
done
[ -s "$out/splora.safetensors" ] || sls train "${m[@]}" --petl-method splora --petl-dim 8 --epochs 30 --warmup-epochs 3 --out "$out/splora.safetensors" > /dev/null
[ -s "$out/spa.sls.json" ] || sls prune "${m[@]}" --petl "$out/splora.safetensors" --method spa --match-index "$out/sls.sls.json" --out "$out/spa.sls.json" > /dev/null
echo "method,round,batch,full_img_s,pruned_img_s,method_seconds" > "$out/throughput.csv"
for r in $(seq "$rounds"); do
  for method in sls bi cka probe depgraph aglp spa; do
    petl=$p; [ "$method" = spa ] && petl=$out/splora.safetensors
    pruned_petl=$petl; [ -s "$out/$method.petl.safetensors" ] && pruned_petl=$out/$method.petl.safetensors
    ev() { sls eval "${m[@]}" --split val200 --throughput --throughput-batches 1,64 --repeats 20 --json "$@"; }
    full=$(ev --petl "$petl"); pruned=$(ev --petl "$pruned_petl" --index "$out/$method.sls.json")
    python3 - "$method" "$r" "$full" "$pruned" "$out/$method.sls.json" >> "$out/throughput.csv" <<'PY'
import json, sys
method, r, full, pruned, index = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4]), json.load(open(sys.argv[5]))
for f, p in zip(full['throughput'], pruned['throughput']):
    print(f"{method},{r},{f['batch_size']},{f['images_per_second']:.1f},{p['images_per_second']:.1f},{index['method_seconds']:.2f}")
PY
  done
done
python3 - "$out/throughput.csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print('| method | batch | full img/s | pruned img/s | speed-up (median of rounds) | method s |')
print('|---|---|---|---|---|---|')
for method in ['sls', 'bi', 'cka', 'probe', 'depgraph', 'aglp', 'spa']:
    for batch in ['1', '64']:
        rs = [r for r in rows if r['method'] == method and r['batch'] == batch]
        f = statistics.median(float(r['full_img_s']) for r in rs); p = statistics.median(float(r['pruned_img_s']) for r in rs)
        s = statistics.median(float(r['pruned_img_s']) / float(r['full_img_s']) for r in rs)
        print(f"| {method} | {batch} | {f:.1f} | {p:.1f} | {s:.2f}x | {rs[0]['method_seconds']} |")
PY
