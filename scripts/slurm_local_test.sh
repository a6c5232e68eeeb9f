#!/usr/bin/env bash
# The Slurm path of docs/user-guide.md ("Slurm"), for real, in a few minutes: a one-node Slurm on this machine (its own munged, slurmctld and
# slurmd on their own socket and ports, stopped by PID at the end, never by name) runs a 4-task manifest as the
# user guide's line submits it (sbatch --array=0-2 scripts/batch/slurm-array.sh MANIFEST RESULTS: 3 shards, the tool
# found by the script, 2 CPUs per element); one element is cancelled mid-task, `sls report` then exits 3 naming
# the missing task; the same line is submitted again, and every task must end with one ok result, run to the end
# exactly once, in its shard, with the same results as a local `sls batch --threads 2`, and `sls report` complete.
# Needs root and Debian's packages: apt-get install slurm-wlm munge dataset-fashion-mnist (the data). Not part of
# the test command. On 2 cores: about 4 minutes.
#
#     sudo scripts/slurm_local_test.sh          # WORK (default /tmp/sls-slurm-test), SHARDS (3), PORT (16817: and PORT+1)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=${WORK:-/tmp/sls-slurm-test}
shards=${SHARDS:-3}
port=${PORT:-16817}
began=$(date +%s)
say() { echo "slurm_local_test: $*"; }
[ "$(id -u)" = 0 ] || { say "needs root (it starts munged, slurmctld and slurmd)"; exit 2; }
for c in sbatch squeue scancel slurmctld slurmd munged setpriv python3; do
  command -v "$c" > /dev/null || { say "needs $c (apt-get install slurm-wlm munge)"; exit 2; }
done
unset SLS # the array finds the tool itself, as it does for a user who followed the user guide

# the tool as the README's install builds it, the data, and a manifest of 4 short tasks (the shipped model's two PETL files, two alphas each)
sls=$repo/src/SlsPrune.Cli/bin/Release/net10.0/sls
[ -x "$sls" ] || dotnet build src/SlsPrune.Cli -c Release -v quiet > /dev/null
rm -rf "$work/out" "$work/local" "$work/slurm" "$work/munge"
mkdir -p "$work/slurm/spool" "$work/slurm/state" "$work/munge"
[ -d "$work/data/fm/tasks" ] || "$sls" data fashion-mnist --out "$work/data/fm" > /dev/null
python3 - "$work" "$repo" <<'PY'
import json, os, sys
work, repo = sys.argv[1:3]
models = os.path.join(repo, 'models/fmnist-vit8')
tasks = [{'name': f'{name}-alpha{alpha}', 'data': os.path.join(work, 'data/fm/tasks', name), 'group': name.split('-')[0],
          'petl': os.path.join(models, f'{name}.convpass.safetensors'), 'settings': {'alpha': alpha}}
         for name in ['structured-location', 'natural-subset-scale'] for alpha in [0.3, 0.6]]
m = {'backbone': os.path.join(models, 'backbone.safetensors'),
     'defaults': {'stages': ['prune', 'eval'], 'calibration': 200, 'eval_split': 'val200', 'device': 'cpu'}, 'tasks': tasks}
json.dump(m, open(os.path.join(work, 'manifest.json'), 'w'), indent=1)
PY

# the reference: the same manifest run locally, on as many threads as an element gets
t0=$(date +%s)
"$sls" batch --manifest "$work/manifest.json" --out "$work/local" --threads 2 > /dev/null 2> "$work/local.log"
say "local run: $(( $(date +%s) - t0 )) s"

# munged, slurmctld and slurmd, each in the foreground of its own background process: stopped by PID at exit
pids=()
stop() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2> /dev/null || true; done
}
trap stop EXIT
chown munge:munge "$work/munge"; chmod 700 "$work/munge"
dd if=/dev/urandom bs=1 count=1024 of="$work/munge/munge.key" 2> /dev/null
chown munge:munge "$work/munge/munge.key"; chmod 400 "$work/munge/munge.key"
setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged -F --force --key-file="$work/munge/munge.key" \
  --socket="$work/munge/munge.socket" --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" --seed-file="$work/munge/munged.seed" > "$work/munge/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$work/munge/munge.socket" ] && break; sleep 0.1; done
host=$(hostname -s)
cat > "$work/slurm/slurm.conf" <<CONF
ClusterName=slstest
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.socket
CredType=cred/munge
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
KillWait=10
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm/slurm.conf
slurmctld -D -i > "$work/slurm/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D > "$work/slurm/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 60); do sinfo -h -o %T 2> /dev/null | grep -qE "idle|mixed" && break; sleep 1; done
sinfo -h -o %T | grep -qE "idle|mixed" || { say "the node did not come up; see $work/slurm/*.log"; exit 1; }

# the user guide's line, as written (from the checkout, relative script path)
submit() { sbatch --array=0-$((shards - 1)) scripts/batch/slurm-array.sh "$work/manifest.json" "$work/out" | awk '{print $4}'; }
wait_job() { while [ -n "$(squeue -h -j "$1" 2> /dev/null)" ]; do sleep 1; done; }
t0=$(date +%s)
job=$(submit)
say "submitted job array $job ($shards elements)"
# cancel element 1 while it is in a task's stage (its log names the stage)
log1=$work/out/logs/sls-batch-${job}_1.log
for _ in $(seq 600); do grep -q ": prune: started" "$log1" 2> /dev/null && break; sleep 0.2; done
grep -q ": prune: started" "$log1" || { say "element 1 never started pruning; see $log1"; exit 1; }
scancel "${job}_1"
say "cancelled element 1 in: $(grep ': started' "$log1" | tail -1)"
wait_job "$job"
set +e
"$sls" report "$work/out" > /dev/null 2> "$work/report-incomplete.txt"; code=$?
set -e
say "report after the cancel: exit $code, $(cat "$work/report-incomplete.txt")"
[ "$code" = 3 ] || { say "expected exit 3 (incomplete)"; exit 1; }
job2=$(submit)
say "resubmitted the same line: job array $job2"
wait_job "$job2"
say "job arrays done in $(( $(date +%s) - t0 )) s"

python3 - "$work" "$shards" "$job" "$job2" <<'PY'
import glob, json, os, re, sys
work, shards, job, job2 = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
tasks = [t['name'] for t in json.load(open(os.path.join(work, 'manifest.json')))['tasks']]
results = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(work, 'out/results/*.json')))
assert results == sorted(tasks), (results, tasks)
finished, stopped = {}, []
for path in sorted(glob.glob(os.path.join(work, 'out/logs/*.log'))):
    j, k = re.match(r'sls-batch-(\d+)_(\d+)\.log', os.path.basename(path)).groups()
    text = open(path).read()
    assert re.search(r'sls: batch: shard \d+/\d+: \d+ of 4 tasks; 2 threads \(from SLURM_CPUS_PER_TASK\)', text), path
    for m in re.finditer(r'sls: batch: (\S+): ok in ', text):
        finished.setdefault(m.group(1), []).append((j, int(k)))
    stopped += re.findall(r'sls: batch: (\S+): (\S+(?: \S+)?): stopped after', text)
# every task ran to the end exactly once; in the first array by shard i mod N, the cancelled one in the second
assert sorted(finished) == sorted(tasks) and all(len(v) == 1 for v in finished.values()), finished
for t, [(j, k)] in finished.items():
    assert k == tasks.index(t) % shards, (t, j, k)
assert [t for t, v in finished.items() if v[0][0] == job2] == [t for t, _ in stopped], (finished, stopped)
# the same results as the local run
def key(p):
    r = json.load(open(p))
    assert r['status'] == 'ok', p
    return (r['kept_block_numbers'], r['scores'], r['threshold'], r['full']['top1'], r['pruned']['top1'])
for t in tasks:
    assert key(os.path.join(work, 'out/results', t + '.json')) == key(os.path.join(work, 'local/results', t + '.json')), t
print(f'slurm_local_test: {len(tasks)} tasks, each run to the end once, by shard i mod {shards}: '
      + ', '.join(f'{t}->{v[0][1]}' + (' (resubmitted)' if v[0][0] == job2 else '') for t, v in finished.items())
      + f'; cancelled in {stopped}; results equal to the local run')
PY
"$sls" report "$work/out"
say "done in $(( $(date +%s) - began )) s"
