#!/usr/bin/env bash
# A Slurm job array over a batch manifest: N array tasks, each running its shard (tasks i with i mod N = K).
# Shards 0..N-1 cover every task once; --resume makes a requeued or rerun array task skip finished work.
#
#     sbatch --array=0-3 scripts/batch/slurm-array.sh scripts/batch/local-benchmark.json results/
#     sls report results/                      # once all array tasks are done
#
#SBATCH --job-name=sls-batch
#SBATCH --cpus-per-task=2
#SBATCH --output=sls-batch-%A_%a.log
set -euo pipefail
manifest=${1:?manifest}
out=${2:?results folder}
shards=${SLURM_ARRAY_TASK_COUNT:?run through sbatch --array}
sls=${SLS:-sls}
"$sls" batch --manifest "$manifest" --out "$out" --resume --shard "${SLURM_ARRAY_TASK_ID}/${shards}"
