#!/usr/bin/env bash
# Create (or reuse) the hfpl-mm virtual environment with the whole OpenMMLab stack.
#
#   bash tools/setup_env.sh     # progress on stderr; the last stdout line is the environment's python
#
# Where: $HFPL_VENV, else ~/.cache/hfpl-mm/venv-<first 12 hex of sha256 of requirements/lock.txt and
# requirements/mim.txt>, so every clone (CI's included) reuses one environment while the lock files are
# unchanged, and a changed lock file gets a new one. A stamp written after a successful set-up marks it complete; an unfinished one is rebuilt.
# mmcv 2.1.0 has no wheel for this torch and is compiled with its ops (about 9 min on 2 cores the first time;
# pip caches the wheel, so later builds take seconds).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCK="$REPO/requirements/lock.txt"
MIM_LOCK="$REPO/requirements/mim.txt"
log() { echo "[setup_env] $*" >&2; }
die() { echo "[setup_env] ERROR: $*" >&2; exit 1; }

[ -f "$LOCK" ] || die "lock file $LOCK is missing"
[ -f "$MIM_LOCK" ] || die "lock file $MIM_LOCK is missing"
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for cand in python3.11 python3; do command -v "$cand" >/dev/null 2>&1 && { PY="$cand"; break; }; done
fi
[ -n "$PY" ] || die "no python3.11 or python3 on PATH; install Python 3.11 (with venv and headers) first"
"$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || die "$("$PY" --version 2>&1) found; the lock file is for Python 3.11 (set PYTHON=/path/to/python3.11)"
"$PY" -c 'import venv, ensurepip' 2>/dev/null || die "$PY lacks the venv/ensurepip modules (apt-get install python3-venv)"
command -v gcc >/dev/null 2>&1 || die "gcc is needed to compile mmcv's ops (apt-get install build-essential)"

want="$(cat "$LOCK" "$MIM_LOCK" | sha256sum | cut -d' ' -f1)"
VENV="${HFPL_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/hfpl-mm/venv-${want:0:12}}"
STAMP="$VENV/.hfpl_lock_sha256"
VPY="$VENV/bin/python"

install_package() {
  # editable install of this checkout; redone when the venv serves another clone
  local where
  where="$(cd / && "$VPY" -P -c 'import os, hfpl_mm; print(os.path.dirname(os.path.dirname(os.path.realpath(hfpl_mm.__file__))))' 2>/dev/null || true)"
  if [ "$where" != "$(realpath "$REPO")" ]; then
    # the environment is shared by every clone on this machine: its editable
    # install serves plain `import hfpl_mm` of the clone that ran this last;
    # each clone's tools/*.py put their own checkout first on sys.path
    [ -n "$where" ] && log "the environment's editable install served $where; it now serves $REPO (each clone's tools import their own hfpl_mm)"
    log "installing hfpl-mm from $REPO in editable mode"
    "$VPY" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e "$REPO" >&2 \
      || die "editable install of $REPO failed"
  fi
  (cd / && "$VPY" -P -c 'import hfpl_mm') >&2 || die "hfpl_mm does not import in $VENV"
}

if [ -x "$VPY" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  log "reusing $VENV (lock file unchanged)"
  install_package
  echo "$VPY"
  exit 0
fi

log "building the environment in $VENV with $("$PY" --version 2>&1)"
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
"$PY" -m venv "$VENV" || die "could not create a virtual environment at $VENV"
pip_i() { "$VPY" -m pip install --disable-pip-version-check "$@" >&2 || die "pip install $* failed"; }

log "step 1/5: build tools (setuptools<81 keeps pkg_resources, which mmcv's setup.py imports)"
pip_i -q --upgrade pip "setuptools>=77,<81" wheel ninja
log "step 2/5: torch and torchvision (pinned in the lock file)"
pip_i $(grep -E '^(torch|torchvision)[=<>]' "$LOCK")
log "step 3/5: mmcv with compiled ops (slow the first time; pip caches the wheel)"
MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-2}" pip_i --no-build-isolation $(grep -E '^mmcv==' "$LOCK")
"$VPY" -c 'import torch, mmcv.ops' >&2 || die "mmcv was installed without its compiled ops (mmcv._ext missing)"
log "step 4/5: the rest of the locked stack"
pip_i -q -r "$LOCK"  # mmcv is already satisfied; sdists (pydensecrf2) build isolated
pip_i -q --no-deps -r "$MIM_LOCK"  # mim's train / test / list commands (see the file)
log "step 5/5: hfpl-mm"
install_package
echo "$want" > "$STAMP"
log "ready: $VPY"
echo "$VPY"
