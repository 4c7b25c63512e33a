#!/usr/bin/env bash
# Distributed testing with torchrun, as mmseg's tools/dist_test.sh:
#   tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args]
# Multi-node: run it on every node with NNODES, NODE_RANK, MASTER_ADDR and
# PORT set (the same MASTER_ADDR / PORT everywhere).
set -euo pipefail
USAGE="usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS [args]"
CONFIG=${1:?$USAGE}
CHECKPOINT=${2:?$USAGE}
GPUS=${3:?$USAGE}
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}
DIR="$(cd "$(dirname "$0")" && pwd)"
PYTHONPATH="$DIR/..:${PYTHONPATH:-}" \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$DIR/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
