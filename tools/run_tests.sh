#!/usr/bin/env bash
# Set up (or reuse) the environment, then run the test-suite. Extra arguments go to pytest.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$(bash "$REPO/tools/setup_env.sh" | tail -n 1)"
cd "$REPO"
exec "$PY" -m pytest tests -q -p no:cacheprovider "$@"
