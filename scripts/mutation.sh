#!/usr/bin/env bash
# On-demand mutation testing of plugins/module_utils and plugins/plugin_utils with the unit tests alone
# (never part of the CI suite: it runs every unit test file that can reach a file once per mutant).
# Usage: scripts/mutation.sh [--jobs N] [--timeout S] [--keep] [--json OUT] [FILE...]
#   prints a table (file, killed, survived, excluded, score) and each file's surviving mutants (file:line, change).
# Tool: cosmic-ray, pinned below; it is installed into .venv when missing (it is not in requirements-dev.txt
# on purpose: the suite does not need it). Configuration and equivalent mutants: scripts/mutation.toml.
. "$(dirname "$0")/lib.sh"
COSMIC_RAY_PIN="cosmic-ray==8.7.0"
ensure_venv
ensure_collection_link
if [ "$(python -c 'import importlib.metadata as m; print(m.version("cosmic-ray"))' 2>/dev/null)" != "${COSMIC_RAY_PIN#*==}" ]; then
  log "installing $COSMIC_RAY_PIN into $VENV"
  pip install -q "$COSMIC_RAY_PIN"
fi
exec python "$ROOT/scripts/mutation.py" "$@"
