# shellcheck shell=bash
# Shared by the role benchmarks under bench/roles (sourced; not a timed test).
#   bench_start SCENARIO      venv, collection link, a work directory, the scenario's nodes created and prepared
#                             (destroyed again, with its cleanup, when the script exits)
#   bench_inventory           writes $WORK/inventory.yml: the scenario's Debian 12 node, the vars read from stdin
#   bench_play NAME PLAYBOOK  runs PLAYBOOK against $WORK/inventory.yml (bench_run of bench/lib.sh); prints
#                             "NAME seconds tasks changed" and sets SECS and TASKS
#   bench_floor NAME          Ansible's per-task floor: a play of as many no-op tasks as the last bench_run ran, on
#                             the same node, in the same run; prints it and the ratio NAME / floor
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. scripts/lib.sh
ensure_venv
ensure_collection_link
. bench/lib.sh

bench_start() {
  SCEN=$1
  WORK=$(mktemp -d)
  # shellcheck disable=SC2064  # the scenario's name is fixed now
  trap "rm -rf '$WORK'; molecule cleanup -s '$SCEN' >/dev/null 2>&1 || true; molecule destroy -s '$SCEN' >/dev/null 2>&1 || true" EXIT
  molecule destroy -s "$SCEN" >/dev/null 2>&1 || true
  molecule create -s "$SCEN" >/dev/null
  molecule prepare -s "$SCEN" >/dev/null  # create already prepares in newer molecule: then a no-op
}

bench_inventory() {
  # $WORK/inventory.yml: the scenario's Debian 12 node through the docker connection, the vars read from stdin
  { printf 'all:\n  hosts:\n    mlinfra-%s-debian12:\n      ansible_connection: community.docker.docker\n  vars:\n' "$SCEN"
    sed 's/^/    /'; } > "$WORK/inventory.yml"
}

bench_play() {
  bench_run "$1" "$WORK/inventory.yml" "$2"
}

bench_floor() {
  local rerun=$SECS n=$((TASKS - 1))  # the count includes Gathering Facts, which the no-op play has too
  bench_noop_playbook "$WORK/noop.yml" "$n"
  bench_play "noop x$n" "$WORK/noop.yml"
  printf 'ratio %s / floor: %.2f\n' "$1" "$(echo "$rerun / $SECS" | bc -l)"
}
