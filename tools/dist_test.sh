#!/usr/bin/env bash
# Distributed testing with torchrun, as mmseg's tools/dist_test.sh:
#   tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args]
# Multi-node: run it on every node with NNODES, NODE_RANK, MASTER_ADDR and PORT set (see tools/lib/torchrun.sh).
set -euo pipefail
USAGE="usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS [args]"
CONFIG=${1:?$USAGE}
CHECKPOINT=${2:?$USAGE}
GPUS=${3:?$USAGE}
exec bash "$(dirname "$0")/lib/torchrun.sh" test.py "$GPUS" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
