#!/usr/bin/env bash
# Stage 2 sharded over processes with torchrun:
#   tools/dist_make_pseudo_labels.sh CONFIG CHECKPOINT GPUS [make_pseudo_labels.py args]
# e.g. ... --split train_aug --out-dir DIR --save-cams. Multi-node: run it on
# every node with NNODES, NODE_RANK, MASTER_ADDR and PORT set.
set -euo pipefail
USAGE="usage: tools/dist_make_pseudo_labels.sh CONFIG CHECKPOINT GPUS [args]"
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
    "$DIR/make_pseudo_labels.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch \
    "${@:4}"
