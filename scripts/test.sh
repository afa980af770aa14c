#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine (as root): set-up, lint, sanity, collection build,
# unit + integration tests (pytest), the same tests under the oldest ansible-core claimed (floor), Molecule scenarios. Prints each stage's time and ends with a summary.
#   bash scripts/test.sh                   # everything
#   bash scripts/test.sh lint pytest       # only these stages (setup always runs)
#   MOLECULE_SCENARIOS="gpu_node_base" bash scripts/test.sh molecule
. "$(dirname "$0")/setup.sh"
cd "$ROOT"

STAGE_REPORT="$ROOT/.build/stages.tsv"
mkdir -p "$ROOT/.build"; : > "$STAGE_REPORT"
ALL_STAGES=(lint sanity build pytest floor molecule)
if [ $# -gt 0 ]; then WANT=("$@"); else WANT=("${ALL_STAGES[@]}"); fi
wants() { local s; for s in "${WANT[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
T0=$(date +%s)

stage_lint() {
  local rc=0
  yamllint -s . || rc=1
  ansible-lint || rc=1
  return $rc
}

stage_build() {
  local out="$ROOT/.build/dist" inst="$ROOT/.build/install-test"
  rm -rf "$out" "$inst"; mkdir -p "$out"
  ansible-galaxy collection build --force --output-path "$out" "$ROOT"
  local tarball
  tarball=$(ls "$out"/mlinfra-gpu-*.tar.gz)
  # Galaxy is unreachable here: dependencies come from the `ansible` package, so install without them.
  ansible-galaxy collection install --force --no-deps -p "$inst" "$tarball"
  # the installed collection works on its own: its plugins load and render from there
  ANSIBLE_COLLECTIONS_PATH="$inst" ansible-doc -l mlinfra.gpu | tee "$ROOT/.build/ansible-doc-list.txt"
  test -s "$ROOT/.build/ansible-doc-list.txt"
  local plugin
  while read -r plugin _; do
    ANSIBLE_COLLECTIONS_PATH="$inst" ansible-doc "$plugin" >/dev/null
  done < "$ROOT/.build/ansible-doc-list.txt"
  for t in inventory filter; do
    ANSIBLE_COLLECTIONS_PATH="$inst" ansible-doc -t "$t" -l mlinfra.gpu | while read -r plugin _; do
      ANSIBLE_COLLECTIONS_PATH="$inst" ansible-doc -t "$t" "$plugin" >/dev/null
    done
  done
  ANSIBLE_COLLECTIONS_PATH="$inst" ansible-doc -t role -l mlinfra.gpu
}

stage_pytest() {
  python -m pytest -p no:cacheprovider "$ROOT/tests/unit" "$ROOT/tests/integration"
}

# the ansible-core floor of meta/runtime.yml: unit and black-box plugin tests in a second venv (scripts/floor.sh)
stage_floor() {
  bash "$ROOT/scripts/floor.sh"
}

stage_molecule() {
  local scenarios s
  if [ -n "${MOLECULE_SCENARIOS:-}" ]; then scenarios="$MOLECULE_SCENARIOS"
  else scenarios=$(find "$ROOT/molecule" -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort); fi
  local failed=0
  for s in $scenarios; do
    local t=$(date +%s)
    if molecule test -s "$s"; then log "molecule $s: passed in $(( $(date +%s) - t ))s"
    else log "molecule $s: FAILED in $(( $(date +%s) - t ))s"; failed=1; fi
  done
  return $failed
}

# set-up runs in this shell (it puts .venv on PATH for the stages)
log "=== stage setup: start"
setup_all 12 13   # errexit is on: a failed set-up ends the run here
printf 'setup\tpassed\t%ss\n' "$(( $(date +%s) - T0 ))" >> "$STAGE_REPORT"
log "=== stage setup: passed in $(( $(date +%s) - T0 ))s"
for s in "${ALL_STAGES[@]}"; do
  if wants "$s"; then
    case "$s" in
      sanity) stage sanity bash "$ROOT/scripts/sanity.sh" ;;
      *) stage "$s" "stage_$s" ;;
    esac
  fi
done

echo
echo "== stages (wall time; total $(( $(date +%s) - T0 ))s)"
column -t -s $'\t' "$STAGE_REPORT" || cat "$STAGE_REPORT"
[ ${#FAILED_STAGES[@]} -eq 0 ] || echo "failed stages: ${FAILED_STAGES[*]}"
echo "stages: $STAGES_PASSED passed, $STAGES_FAILED failed"
[ "$STAGES_FAILED" -eq 0 ]
