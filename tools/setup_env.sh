#!/usr/bin/env bash
# Create (or reuse) the hfpl-mm virtual environment with the whole OpenMMLab stack.
#
#   bash tools/setup_env.sh            # prints the path of the ready environment's python on its last line
#
# The environment lives in $HFPL_VENV (default: <repo>/.venv). It is reused as-is when the SHA-256 of
# requirements/lock.txt matches the one recorded after its last successful set-up; otherwise it is rebuilt.
# mmcv 2.1.0 has no wheels for this torch, so it is compiled with its ops (about 9 min on 2 cores; pip caches
# the wheel, so later rebuilds take seconds).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${HFPL_VENV:-$REPO/.venv}"
LOCK="$REPO/requirements/lock.txt"
PY="${PYTHON:-python3.11}"
STAMP="$VENV/.hfpl_lock_sha256"

log() { echo "[setup_env] $*" >&2; }
die() { echo "[setup_env] ERROR: $*" >&2; exit 1; }

command -v "$PY" >/dev/null 2>&1 || PY=python3
command -v "$PY" >/dev/null 2>&1 || die "no python3.11 or python3 on PATH; install Python 3.11 first"
"$PY" -c 'import sys; assert sys.version_info[:2] >= (3, 9)' 2>/dev/null \
  || die "$($PY --version 2>&1) is too old; hfpl-mm needs Python >= 3.9 (tested with 3.11)"
[ -f "$LOCK" ] || die "lock file $LOCK is missing"

want="$(sha256sum "$LOCK" | cut -d' ' -f1)"
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  log "reusing $VENV (lock file unchanged)"
  # the package itself is editable; reinstall only if the egg-link went missing (fresh clone into same venv path)
  "$VENV/bin/python" -c 'import hfpl_mm' 2>/dev/null \
    || "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e "$REPO" >&2
  echo "$VENV/bin/python"
  exit 0
fi

log "building environment in $VENV with $($PY --version 2>&1)"
rm -f "$STAMP"
"$PY" -m venv "$VENV" || die "could not create a venv (is the python venv module installed?)"
VPY="$VENV/bin/python"
pip_i() { "$VPY" -m pip install --disable-pip-version-check "$@" >&2 || die "pip install $* failed"; }

log "step 1/5: build tools (setuptools<81 keeps pkg_resources, which mmcv's setup.py needs)"
pip_i -q --upgrade pip "setuptools>=77,<81" wheel ninja
log "step 2/5: torch and torchvision"
pip_i $(grep -E '^(torch|torchvision)[=<>]' "$LOCK")
log "step 3/5: mmcv with compiled ops (slow the first time; cached as a wheel afterwards)"
MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-2}" pip_i --no-build-isolation $(grep -E '^mmcv==' "$LOCK")
"$VPY" -c 'import mmcv.ops' >&2 || die "mmcv was installed without its compiled ops (mmcv._ext missing)"
log "step 4/5: the rest of the locked stack"
pip_i --no-build-isolation -r "$LOCK"
log "step 5/5: hfpl-mm in editable mode"
pip_i -q --no-deps --no-build-isolation -e "$REPO"
"$VPY" -c 'import hfpl_mm' >&2 || die "hfpl_mm does not import in the new environment"
echo "$want" > "$STAMP"
log "ready: $VPY"
echo "$VPY"
