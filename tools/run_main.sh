#!/usr/bin/env bash
# Set up (or reuse) the environment, then run the main job (tools/run_pipeline.py) on the bundled default
# synthetic dataset. Extra arguments go to tools/run_pipeline.py (see --help).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$(bash "$REPO/tools/setup_env.sh" | tail -n 1)"
cd "$REPO"
exec "$PY" tools/run_pipeline.py "$@"
