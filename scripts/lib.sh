#!/usr/bin/env bash
# Shared helpers for the project's scripts. Source it: `. scripts/lib.sh`.
# Everything here is idempotent: a second call costs (almost) nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
COLLECTIONS_DIR="$ROOT/.build/collections"
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS_DIR"
export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
export PYTHONDONTWRITEBYTECODE=1

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Stage timing: `stage NAME cmd...` runs cmd, prints its wall time and records pass/fail.
STAGES_PASSED=0
STAGES_FAILED=0
FAILED_STAGES=()
stage() {
  local name="$1"; shift
  local t0 rc
  t0=$(date +%s)
  log "=== stage $name: start"
  set +e
  ( set -e; "$@" )
  rc=$?
  set -e
  local dt=$(( $(date +%s) - t0 ))
  if [ "$rc" -eq 0 ]; then
    STAGES_PASSED=$((STAGES_PASSED + 1)); log "=== stage $name: passed in ${dt}s"
  else
    STAGES_FAILED=$((STAGES_FAILED + 1)); FAILED_STAGES+=("$name"); log "=== stage $name: FAILED (rc=$rc) in ${dt}s"
  fi
  printf '%s\t%s\t%ss\n' "$name" "$([ "$rc" -eq 0 ] && echo passed || echo failed)" "$dt" >> "${STAGE_REPORT:-/dev/null}"
  return 0
}

apt_install() {
  # apt_install PKG... : installs the Debian packages that are missing (needs root on Debian).
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]} (run as root, or install them first)"
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get: this script supports Debian hosts"
  log "installing Debian packages: ${missing[*]}"
  if [ ! -f /tmp/.mlinfra-apt-updated ]; then apt-get update -qq && touch /tmp/.mlinfra-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_venv() {
  local stamp="$VENV/.requirements.sha"
  local want
  want=$(sha256sum "$ROOT/requirements-dev.txt" | cut -d' ' -f1)
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    :
  else
    apt_install python3-venv
    log "creating virtual environment $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip >/dev/null
    "$VENV/bin/pip" install -q -r "$ROOT/requirements-dev.txt"
    echo "$want" > "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
  export VIRTUAL_ENV="$VENV"
}

ensure_collection_link() {
  mkdir -p "$COLLECTIONS_DIR/ansible_collections/mlinfra"
  local link="$COLLECTIONS_DIR/ansible_collections/mlinfra/gpu"
  if [ "$(readlink "$link" 2>/dev/null)" != "$ROOT" ]; then
    rm -rf "$link"; ln -s "$ROOT" "$link"
  fi
}

# Copy the tracked + untracked-not-ignored files into a real ansible_collections/mlinfra/gpu tree
# (ansible-test needs the real path, not a symlink). Prints the copy's path.
collection_copy() {
  local dest="$ROOT/.build/sanity/ansible_collections/mlinfra/gpu"
  rm -rf "$dest"; mkdir -p "$dest"
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp --parents -P {} "$dest/" 2>/dev/null || true)
  (cd "$dest" && git init -q && git add -A >/dev/null 2>&1 && git -c user.email=ci@local -c user.name=ci commit -qm copy >/dev/null 2>&1 || true)
  echo "$dest"
}
