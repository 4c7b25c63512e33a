#!/usr/bin/env bash
# train.py on a Slurm cluster, as mmseg's tools/slurm_train.sh:
#   [GPUS=8 GPUS_PER_NODE=4 CPUS_PER_TASK=5 SRUN_ARGS=...] tools/slurm_train.sh PARTITION JOB_NAME CONFIG [args]
# GPUS tasks in all, GPUS_PER_NODE per node (several nodes when GPUS is larger); see tools/lib/srun.sh.
set -euo pipefail
USAGE="usage: tools/slurm_train.sh PARTITION JOB_NAME CONFIG [args]"
PARTITION=${1:?$USAGE}
JOB_NAME=${2:?$USAGE}
CONFIG=${3:?$USAGE}
exec bash "$(dirname "$0")/lib/srun.sh" train.py "$PARTITION" "$JOB_NAME" "$CONFIG" --launcher=slurm "${@:4}"
