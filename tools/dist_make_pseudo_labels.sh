#!/usr/bin/env bash
# Stage 2 sharded over processes with torchrun:
#   tools/dist_make_pseudo_labels.sh CONFIG CHECKPOINT GPUS [make_pseudo_labels.py args]
# e.g. ... --split train_aug --out-dir DIR --save-cams. Multi-node: run it on every node with NNODES,
# NODE_RANK, MASTER_ADDR and PORT set (see tools/lib/torchrun.sh).
set -euo pipefail
USAGE="usage: tools/dist_make_pseudo_labels.sh CONFIG CHECKPOINT GPUS [args]"
CONFIG=${1:?$USAGE}
CHECKPOINT=${2:?$USAGE}
GPUS=${3:?$USAGE}
exec bash "$(dirname "$0")/lib/torchrun.sh" make_pseudo_labels.py "$GPUS" "$CONFIG" "$CHECKPOINT" \
    --launcher pytorch "${@:4}"
