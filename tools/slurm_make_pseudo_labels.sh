#!/usr/bin/env bash
# make_pseudo_labels.py on a Slurm cluster with srun, as mmseg's slurm scripts:
#   [GPUS=8 GPUS_PER_NODE=4 CPUS_PER_TASK=5 SRUN_ARGS=...] \
#       tools/slurm_make_pseudo_labels.sh PARTITION JOB_NAME CONFIG CHECKPOINT [make_pseudo_labels.py args]
# GPUS tasks in all, GPUS_PER_NODE per node (several nodes when GPUS is
# larger); mmengine's slurm launcher reads the rank and address from srun.
set -euo pipefail
USAGE="usage: tools/slurm_make_pseudo_labels.sh PARTITION JOB_NAME CONFIG CHECKPOINT [args]"
PARTITION=${1:?$USAGE}
JOB_NAME=${2:?$USAGE}
CONFIG=${3:?$USAGE}
CHECKPOINT=${4:?$USAGE}
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PYTHON=${PYTHON:-python}
DIR="$(cd "$(dirname "$0")" && pwd)"
# shellcheck disable=SC2086  # SRUN_ARGS holds several options
PYTHONPATH="$DIR/..:${PYTHONPATH:-}" \
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    "$PYTHON" -u "$DIR/make_pseudo_labels.py" "$CONFIG" "$CHECKPOINT" \
    --launcher=slurm "${@:5}"
