#!/usr/bin/env bash
# Distributed training with torchrun: tools/dist_train.sh CONFIG GPUS [train.py args]
# On CPU (or to force gloo) pass e.g. --cfg-options env_cfg.dist_cfg.backend=gloo
set -euo pipefail
CONFIG=${1:?usage: tools/dist_train.sh CONFIG GPUS [args]}
GPUS=${2:?usage: tools/dist_train.sh CONFIG GPUS [args]}
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
    "$DIR/train.py" "$CONFIG" --launcher pytorch "${@:3}"
