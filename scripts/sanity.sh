#!/usr/bin/env bash
# ansible-test sanity over a copy of the collection laid out as ansible_collections/mlinfra/gpu.
# Usage: scripts/sanity.sh [ansible-test sanity args...]   (default: all tests, python 3.11)
. "$(dirname "$0")/lib.sh"
ensure_venv
dest=$(collection_copy)
cd "$dest"
ansible-test sanity --python 3.11 --color no "$@"
