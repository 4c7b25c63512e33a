#!/usr/bin/env bash
# Shared by tools/slurm_*.sh: run tools/SCRIPT as a Slurm job step with srun.
#   tools/lib/srun.sh SCRIPT PARTITION JOB_NAME [SCRIPT args]
# Environment: GPUS (4 tasks in all), GPUS_PER_NODE (4), CPUS_PER_TASK (5), SRUN_ARGS (extra srun
# options), PYTHON (python). mmengine's slurm launcher reads each task's rank and the address from srun.
set -euo pipefail
USAGE="usage: tools/lib/srun.sh SCRIPT PARTITION JOB_NAME [args]"
SCRIPT=${1:?$USAGE}
PARTITION=${2:?$USAGE}
JOB_NAME=${3:?$USAGE}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
TOOLS="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck disable=SC2086  # SRUN_ARGS holds several options
PYTHONPATH="$TOOLS/..:${PYTHONPATH:-}" \
exec srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="${GPUS:-4}" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="${CPUS_PER_TASK:-5}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS:-} \
    "${PYTHON:-python}" -u "$TOOLS/$SCRIPT" "${@:4}"
