#!/usr/bin/env bash
# A Slurm job array over a batch manifest: each element runs its share of the tasks (sls batch --shard slurm:
# element I of --array=MIN-MAX:STEP runs shard (I - MIN) / STEP of the array's N), so the elements cover every task
# once whatever the ids start at; an array with gaps (--array=0,1,5) is refused. --resume makes a requeued or
# resubmitted element skip finished tasks, and task locks keep two elements off one task.
#
#     sbatch --array=0-3 scripts/batch/slurm-array.sh scripts/batch/local-benchmark.json results/ [sls batch options]
#     sls report results/      # when the array is done: exit 3 (incomplete) names the missing and failed tasks
#
# The tool: $SLS when set (sbatch --export=ALL,SLS=/path/to/sls), else `sls` on PATH (an installed .NET tool), else
# the Release build (dotnet build -c Release) of the checkout this script was submitted from.
# Threads: each element computes on its allocation (sls reads SLURM_CPUS_PER_TASK): 2 CPUs unless
# sbatch --cpus-per-task=N says otherwise.
# Logs: one file per element in LOGS (default RESULTS/logs), appended to by a requeue or a resubmission, each
# attempt starting with a '==>' line; sls writes each task's stages there as they start and end, so the last
# line of an element that died names its task and stage. Slurm's own output goes nowhere (sbatch --output=FILE
# keeps it).
#SBATCH --job-name=sls-batch
#SBATCH --cpus-per-task=2
#SBATCH --open-mode=append
#SBATCH --output=/dev/null
set -uo pipefail
if [ $# -lt 2 ]; then
  # no results folder to log to: say it next to where the job was submitted
  echo "slurm-array.sh: usage: sbatch --array=0-N scripts/batch/slurm-array.sh MANIFEST RESULTS [sls batch options]" \
    >> "${SLURM_SUBMIT_DIR:-.}/sls-batch-${SLURM_JOB_ID:-local}.error"
  exit 2
fi
manifest=$1 out=$2
shift 2
logs=${LOGS:-$out/logs}
mkdir -p "$logs" || exit 2
exec >> "$logs/sls-batch-${SLURM_ARRAY_JOB_ID:-${SLURM_JOB_ID:-local}}_${SLURM_ARRAY_TASK_ID:-0}.log" 2>&1
echo "==> $(date '+%F %T') job ${SLURM_JOB_ID:-none} (array ${SLURM_ARRAY_JOB_ID:-none}, element ${SLURM_ARRAY_TASK_ID:-none}, restart ${SLURM_RESTART_COUNT:-0}) on $(hostname -s), ${SLURM_CPUS_PER_TASK:-?} CPUs"

find_sls() {
  if [ -n "${SLS:-}" ]; then echo "$SLS"; return 0; fi
  if command -v sls > /dev/null; then command -v sls; return 0; fi
  # Slurm runs a copy of this script from its spool folder: the original's path is in the job's record
  local script="" root
  [ -n "${SLURM_JOB_ID:-}" ] && script=$(scontrol show job "$SLURM_JOB_ID" 2> /dev/null | sed -n 's/^ *Command=\([^ ]*\).*/\1/p' | head -1)
  [ -n "$script" ] && [ -f "$script" ] || script=$0
  for root in "$(cd "$(dirname "$script")/../.." 2> /dev/null && pwd)" "${SLURM_SUBMIT_DIR:-}"; do
    if [ -n "$root" ] && [ -x "$root/src/SlsPrune.Cli/bin/Release/net10.0/sls" ]; then echo "$root/src/SlsPrune.Cli/bin/Release/net10.0/sls"; return 0; fi
  done
  return 1
}
if ! sls=$(find_sls); then
  echo "slurm-array.sh: no sls found: set SLS (sbatch --export=ALL,SLS=/path/to/sls), install the tool (README, 'Install'), or build the checkout (dotnet build -c Release)"
  exit 2
fi
"$sls" batch --manifest "$manifest" --out "$out" --resume --shard slurm "$@"
code=$?
if [ "$code" -gt 128 ] && [ "$code" -ne 130 ] && [ "$code" -ne 143 ]; then
  # a native crash or a kill prints nothing itself: the 'started' line above names the task and stage it was in
  echo "slurm-array.sh: sls died of signal $((code - 128)) (exit $code) in the stage the last 'started' line names; resubmit this element (--resume redoes only unfinished tasks)"
fi
exit "$code"
