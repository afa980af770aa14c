#!/usr/bin/env bash
# ansible-test sanity over a copy of the collection laid out as ansible_collections/mlinfra/gpu.
# It runs in its own virtual environment (.build/sanity-venv) because ansible-test installs pinned
# linters (pylint, ...) that must not disturb the tools in .venv.
# Usage: scripts/sanity.sh [ansible-test sanity args...]
. "$(dirname "$0")/lib.sh"
SVENV="$ROOT/.build/sanity-venv"
core=$(grep '^ansible-core==' "$ROOT/requirements-dev.txt")
if [ "$(cat "$SVENV/.core" 2>/dev/null)" != "$core" ]; then
  apt_install python3-venv
  rm -rf "$SVENV"; python3 -m venv "$SVENV"
  "$SVENV/bin/pip" install -q "$core"
  echo "$core" > "$SVENV/.core"
fi
# ansible-test bootstraps pip in its venvs with a script from a host these machines cannot reach.
pipver=$(sed -n "s/.*pip='\([0-9.]*\)'.*/\1/p" "$SVENV"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | head -1)
mkdir -p ~/.ansible/test/cache
cp "$ROOT/scripts/ansible-test-get-pip.py" ~/.ansible/test/cache/get_pip_"${pipver//./_}".py
dest=$(collection_copy)
cd "$dest"
export PATH="$SVENV/bin:$PATH"
ansible-test sanity --requirements --python 3.11 --color no "$@"
