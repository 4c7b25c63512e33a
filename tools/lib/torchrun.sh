#!/usr/bin/env bash
# Shared by tools/dist_*.sh: run tools/SCRIPT in GPUS processes per node with torchrun.
#   tools/lib/torchrun.sh SCRIPT GPUS [SCRIPT args]
# Environment: NNODES (1), NODE_RANK (0), MASTER_ADDR (127.0.0.1), PORT (29500), PYTHON (python).
set -euo pipefail
SCRIPT=${1:?usage: tools/lib/torchrun.sh SCRIPT GPUS [args]}
GPUS=${2:?usage: tools/lib/torchrun.sh SCRIPT GPUS [args]}
TOOLS="$(cd "$(dirname "$0")/.." && pwd)"
PYTHONPATH="$TOOLS/..:${PYTHONPATH:-}" \
exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --nproc_per_node="$GPUS" \
    --master_port="${PORT:-29500}" \
    "$TOOLS/$SCRIPT" "${@:3}"
