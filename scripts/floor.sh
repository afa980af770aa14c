#!/usr/bin/env bash
# The ansible-core floor that meta/runtime.yml claims (requires_ansible), tested: a second virtual environment
# (.build/venv-floor, from tests/requirements-floor.txt: ansible-core 2.16 and the oldest community.general that
# galaxy.yml accepts) runs the unit tests and the black-box plugin tests that need no container or Slurm cluster.
# The newest ansible-core runs the same tests in .venv (scripts/test.sh pytest).
#   bash scripts/floor.sh                # create/refresh the venv when its requirements changed, then the tests
#   bash scripts/floor.sh -k ec2 -x      # extra arguments go to pytest
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
FLOOR_VENV="$ROOT/.build/venv-floor"
FLOOR_REQUIREMENTS="$ROOT/tests/requirements-floor.txt"

ensure_floor_venv() {
  local stamp="$FLOOR_VENV/.requirements.sha" want
  want=$(sha256sum "$FLOOR_REQUIREMENTS" | cut -d' ' -f1)
  if [ -x "$FLOOR_VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  apt_install python3-venv
  log "creating the floor virtual environment $FLOOR_VENV"
  rm -rf "$FLOOR_VENV"
  python3 -m venv "$FLOOR_VENV"
  "$FLOOR_VENV/bin/pip" install -q --upgrade pip >/dev/null
  "$FLOOR_VENV/bin/pip" install -q -r "$FLOOR_REQUIREMENTS"
  echo "$want" > "$stamp"
}

ensure_floor_venv
ensure_collection_link
# the venv must hold the floor itself: requires_ansible ">=X.Y.0" and ansible-core X.Y.*
claimed=$(sed -n 's/^requires_ansible: *">=\([0-9]*\.[0-9]*\)\..*"/\1/p' meta/runtime.yml)
have=$("$FLOOR_VENV/bin/python" -c 'from ansible.release import __version__ as v; print(".".join(v.split(".")[:2]))')
[ -n "$claimed" ] || die "meta/runtime.yml: requires_ansible is not of the form \">=X.Y.Z\""
[ "$claimed" = "$have" ] || die "meta/runtime.yml claims ansible-core $claimed, the floor venv has $have: update tests/requirements-floor.txt"
log "floor: ansible-core $("$FLOOR_VENV/bin/python" -c 'from ansible.release import __version__ as v; print(v)') (requires_ansible >=$claimed)"
PATH="$FLOOR_VENV/bin:$PATH" VIRTUAL_ENV="$FLOOR_VENV" "$FLOOR_VENV/bin/python" -m pytest -p no:cacheprovider \
  tests/unit \
  tests/integration/gpu_facts/test_gpu_facts_blackbox.py \
  tests/integration/inventory/test_ec2_gpu_inventory.py \
  tests/integration/packaging/test_dependencies.py \
  "$@"
