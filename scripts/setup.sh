#!/usr/bin/env bash
# Everything the demo and the tests need on a fresh Debian machine (run as root); idempotent.
#   bash scripts/setup.sh            # tools, Docker engine, apt cache, Debian 12 and 13 images
#   bash scripts/setup.sh 12         # ... only the Debian 12 image
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/containers/testbed.sh"

setup_host_packages() {
  local pkgs=(python3-venv git openssl curl)
  local f
  for f in $(find "$ROOT/tests" -name apt-packages.txt 2>/dev/null | sort); do
    mapfile -t -O "${#pkgs[@]}" pkgs < <(grep -v '^\s*#' "$f" | grep -v '^\s*$')
  done
  apt_install "${pkgs[@]}"
}

setup_all() {
  setup_host_packages
  ensure_venv
  ensure_collection_link
  ensure_docker
  ensure_apt_cache
  ensure_images "$@"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  if [ $# -gt 0 ]; then setup_all "$@"; else setup_all 12 13; fi
fi
