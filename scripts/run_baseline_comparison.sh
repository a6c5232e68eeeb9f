#!/usr/bin/env bash
# SLS against the baselines on the local benchmark (issue 8), from one command:
#
#     scripts/run_baseline_comparison.sh OUT [SLS]
#
# 1. OUT/manifests/sls.json: the local benchmark (scripts/batch/local-benchmark.json): train Convpass, prune
#    with SLS, eval, retrain, eval.
# 2. OUT/manifests/baselines.json: on the same trained Convpass weights, at SLS's budget on each task
#    (match_index: as many blocks as SLS keeps; width methods prune the same share of block parameters):
#    bi, cka, probe, depgraph (Taylor), aglp; prune, eval, retrain (as SLS), eval.
# 3. OUT/manifests/spa.json: train SPLoRA (rank 8) per task, then spa at SLS's budget, eval, retrain, eval.
# All results land in OUT/results (task NAME for SLS, NAME.METHOD for the others); `sls report OUT` shows
# them with averages per method. Resumable: rerun the same command after an interruption.
# SLS: the sls binary (default: a fresh publish under OUT/tool). Needs the benchmark data (DATA, default
# data/fm, made with `sls data fashion-mnist --out data/fm` if missing; IDX: the Fashion-MNIST IDX folder).
# TASKS (space-separated names), EPOCHS and RETRAIN_EPOCHS override the manifest, for a quick trial.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/run_baseline_comparison.sh OUT [SLS]}
mkdir -p "$out/manifests"; out=$(cd "$out" && pwd)
sls=${2:-}
if [ -z "$sls" ]; then
  [ -x "$out/tool/sls" ] || dotnet publish src/SlsPrune.Cli -c Release -o "$out/tool" -v quiet > /dev/null
  sls=$out/tool/sls
fi
data=$(mkdir -p "${DATA:-data/fm}" && cd "${DATA:-data/fm}" && pwd)
[ -d "$data/tasks" ] || "$sls" data fashion-mnist --out "$data" ${IDX:+--source "$IDX"} > /dev/null
python3 - "$out" "$data" "$PWD" "${TASKS:-}" "${EPOCHS:-}" "${RETRAIN_EPOCHS:-}" <<'PY'
import json, os, sys
out, data, repo, only, epochs, retrain = sys.argv[1:7]
base = json.load(open(os.path.join(repo, 'scripts/batch/local-benchmark.json')))
if only:
    base['tasks'] = [t for t in base['tasks'] if t['name'] in only.split()]
if epochs:
    base['defaults'].update(epochs=int(epochs), warmup_epochs=min(int(epochs), base['defaults']['warmup_epochs']))
if retrain:
    base['defaults']['retrain_epochs'] = int(retrain)
base['backbone'] = os.path.join(repo, 'models/fmnist-vit8/backbone.safetensors')
for t in base['tasks']:
    t['data'] = os.path.join(data, 'tasks', t['name'])
d = base['defaults']
def write(name, m):
    json.dump(m, open(os.path.join(out, 'manifests', name + '.json'), 'w'), indent=1)
write('sls', base)
sls_dir = lambda t: os.path.join(out, 'tasks', t['name'])
later = dict(d, stages=['prune', 'eval', 'retrain'])
tasks = []
for method, extra in [('bi', {}), ('cka', {}), ('probe', {}), ('depgraph', {'importance': 'taylor'}), ('aglp', {'aglp_epochs': 2})]:
    for t in base['tasks']:
        tasks.append(dict(t, name=t['name'] + '.' + method, petl=os.path.join(sls_dir(t), 'petl.safetensors'),
                          settings=dict(extra, method=method, match_index=os.path.join(sls_dir(t), 'index.sls.json'))))
write('baselines', dict(base, defaults=later, tasks=tasks))
spa = [dict(t, name=t['name'] + '.spa', settings={'method': 'spa', 'importance': 'l1', 'match_index': os.path.join(sls_dir(t), 'index.sls.json')})
       for t in base['tasks']]
write('spa', dict(base, defaults=dict(d, petl_method='splora', petl_scale=1.0), tasks=spa))
PY
for m in sls baselines spa; do
  t0=$(date +%s)
  "$sls" batch --manifest "$out/manifests/$m.json" --out "$out" --resume || echo "batch $m: some tasks failed (see $out/results)"
  echo "batch $m: $(( $(date +%s) - t0 )) s"
done
"$sls" report "$out" --format md > "$out/report.md"
"$sls" report "$out" --format json > "$out/report.json"
echo "report: $out/report.md"
