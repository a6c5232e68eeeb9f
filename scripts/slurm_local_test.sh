#!/usr/bin/env bash
# The sharding, for real: a one-node Slurm on this machine runs the local benchmark as a job array of N shards
# (scripts/batch/slurm-array.sh), then checks that every task has exactly one result, from exactly one shard.
# Needs root and Debian's slurm-wlm and munge (apt-get install slurm-wlm munge) and dataset-fashion-mnist.
# Short training (EPOCHS, default 2): about 20 minutes on 2 cores (4 shards, 2 at a time). Not part of the test command.
#
#     sudo scripts/slurm_local_test.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
shards=${1:-4}
work=${WORK:-/tmp/sls-slurm-test}
epochs=${EPOCHS:-2}
rm -rf "$work/out" "$work/slurm"; mkdir -p "$work/slurm/spool" "$work/slurm/state"
[ -x "$work/tool/sls" ] || dotnet publish src/SlsPrune.Cli -c Release -o "$work/tool" -v quiet > /dev/null
[ -d "$work/data/fm/tasks" ] || "$work/tool/sls" data fashion-mnist --out "$work/data/fm" > /dev/null
# the shipped manifest, with the data folder and the training length of this run
python3 - "$work" "$epochs" <<'PY'
import json, os, sys
work, epochs = sys.argv[1], int(sys.argv[2])
m = json.load(open('scripts/batch/local-benchmark.json'))
m['backbone'] = os.path.abspath('models/fmnist-vit8/backbone.safetensors')
m['defaults'].update(epochs=epochs, warmup_epochs=1, retrain_epochs=1, throughput=False)
for t in m['tasks']:
    t['data'] = os.path.join(work, 'data/fm/tasks', t['name'])
json.dump(m, open(os.path.join(work, 'manifest.json'), 'w'), indent=1)
PY
# munge and a one-node Slurm
[ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
pgrep -x munged > /dev/null || { mkdir -p /run/munge; chown munge:munge /run/munge; su -s /bin/sh munge -c /usr/sbin/munged; }
host=$(hostname -s)
cpus=$(nproc)
cat > "$work/slurm/slurm.conf" <<CONF
ClusterName=sls
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$work/slurm/state
SlurmdSpoolDir=$work/slurm/spool
SlurmctldPidFile=$work/slurm/slurmctld.pid
SlurmdPidFile=$work/slurm/slurmd.pid
SlurmctldLogFile=$work/slurm/slurmctld.log
SlurmdLogFile=$work/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm/slurm.conf
pkill -x slurmctld || true; pkill -x slurmd || true; sleep 1
slurmctld -c -i
slurmd -c
for _ in $(seq 30); do sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed" && break; sleep 1; done
sinfo
start=$(date +%s)
SLS="$work/tool/sls" sbatch --wait --array=0-$((shards - 1)) --cpus-per-task=1 --chdir="$work" --export=ALL,SLS="$work/tool/sls" \
  --output="$work/shard-%a.log" "$PWD/scripts/batch/slurm-array.sh" "$work/manifest.json" "$work/out"
echo "job array of $shards shards done in $(( $(date +%s) - start )) s"
pkill -x slurmd || true; pkill -x slurmctld || true
# every task exactly once, from exactly one shard
python3 - "$work" "$shards" <<'PY'
import glob, json, os, re, sys
work, shards = sys.argv[1], int(sys.argv[2])
tasks = [t['name'] for t in json.load(open(os.path.join(work, 'manifest.json')))['tasks']]
results = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(work, 'out/results/*.json')))
assert results == sorted(tasks), (results, tasks)
ran = {}
for k in range(shards):
    for line in open(os.path.join(work, f'shard-{k}.log')):
        m = re.match(r'sls: batch: (\S+): running', line)
        if m:
            ran.setdefault(m.group(1), []).append(k)
assert sorted(ran) == sorted(tasks) and all(len(v) == 1 for v in ran.values()), ran
assert all(v[0] == tasks.index(t) % shards for t, v in ran.items()), ran
bad = [t for t in tasks if json.load(open(os.path.join(work, 'out/results', t + '.json')))['status'] != 'ok']
assert not bad, bad
print(f'{len(tasks)} tasks, each run once, by shard i mod {shards}: ' + ', '.join(f'{t}->{v[0]}' for t, v in ran.items()))
PY
"$work/tool/sls" report "$work/out"
