#!/usr/bin/env bash
# Distributed training with torchrun, as mmseg's tools/dist_train.sh:
#   tools/dist_train.sh CONFIG GPUS [train.py args]
# Multi-node: run it on every node with NNODES, NODE_RANK, MASTER_ADDR and PORT set (see tools/lib/torchrun.sh).
# On CPU (or to force gloo) pass e.g. --cfg-options env_cfg.dist_cfg.backend=gloo
set -euo pipefail
USAGE="usage: tools/dist_train.sh CONFIG GPUS [args]"
CONFIG=${1:?$USAGE}
GPUS=${2:?$USAGE}
exec bash "$(dirname "$0")/lib/torchrun.sh" train.py "$GPUS" "$CONFIG" --launcher pytorch "${@:3}"
