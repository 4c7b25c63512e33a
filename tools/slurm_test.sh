#!/usr/bin/env bash
# test.py on a Slurm cluster, as mmseg's slurm scripts:
#   [GPUS=8 GPUS_PER_NODE=4 CPUS_PER_TASK=5 SRUN_ARGS=...] \
#       tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [args]
# GPUS tasks in all, GPUS_PER_NODE per node (several nodes when GPUS is larger); see tools/lib/srun.sh.
set -euo pipefail
USAGE="usage: tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [args]"
PARTITION=${1:?$USAGE}
JOB_NAME=${2:?$USAGE}
CONFIG=${3:?$USAGE}
CHECKPOINT=${4:?$USAGE}
exec bash "$(dirname "$0")/lib/srun.sh" test.py "$PARTITION" "$JOB_NAME" "$CONFIG" "$CHECKPOINT" \
    --launcher=slurm "${@:5}"
