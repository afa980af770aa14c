# shellcheck shell=bash
# Helpers of the role benchmarks (sourced from the repository root).
#   bench_scenario SCEN     destroy, create and prepare the Molecule scenario SCEN (cleaned up and destroyed on exit);
#                           sets HOST (its Debian 12 container) and WORK (a scratch directory)
#   bench_inventory         writes $WORK/inventory.yml: HOST through the docker connection, the vars read from stdin
#   bench_play ROLE FILE    writes $WORK/FILE: one play applying ROLE (a name, or a {role: ..., var: ...} mapping)
#   bench_run NAME PLAYBOOK INVENTORY   prints "NAME seconds tasks changed"; sets SECS and TASKS
#   bench_noop_floor N INVENTORY        a play of N no-op tasks (Ansible's own per-task floor), then the ratio of
#                                       RERUN (seconds of the last re-run) to it
. scripts/lib.sh
ensure_venv
ensure_collection_link

bench_scenario() {
  SCEN=$1
  HOST=mlinfra-${SCEN}-debian12
  WORK=$(mktemp -d)
  # shellcheck disable=SC2064  # expand now: the values of this call
  trap "rm -rf '$WORK'; molecule cleanup -s '$SCEN' >/dev/null 2>&1 || true; molecule destroy -s '$SCEN' >/dev/null 2>&1 || true" EXIT
  molecule destroy -s "$SCEN" >/dev/null 2>&1 || true
  molecule create -s "$SCEN" >/dev/null
  molecule prepare -s "$SCEN" >/dev/null
}

bench_inventory() {
  { printf 'all:\n  hosts:\n    %s:\n      ansible_connection: community.docker.docker\n  vars:\n' "$HOST"
    sed 's/^/    /'; } > "$WORK/inventory.yml"
}

bench_play() {
  printf -- '- hosts: all\n  gather_facts: true\n  roles:\n    - %s\n' "$1" > "$WORK/$2"
}

bench_run() {
  local t0 t1 out
  t0=$(date +%s.%N)
  out=$(ANSIBLE_STDOUT_CALLBACK=ansible.builtin.default ansible-playbook -i "$3" "$2")
  t1=$(date +%s.%N)
  SECS=$(echo "$t1 - $t0" | bc)
  TASKS=$(grep -c '^TASK \[' <<<"$out")
  printf '%-22s %6.1fs  tasks=%-4s changed=%s\n' "$1" "$SECS" "$TASKS" "$(grep -oP 'changed=\K[0-9]+' <<<"$out" | tail -1)"
}

bench_noop_floor() {
  local n=$1 play
  play=$(mktemp --suffix=.yml)
  {
    echo "- hosts: all"
    echo "  gather_facts: true"
    echo "  tasks:"
    for i in $(seq "$n"); do
      printf '    - name: noop %s\n      ansible.builtin.command: "true"\n      changed_when: false\n' "$i"
    done
  } > "$play"
  bench_run "noop x$n" "$play" "$2"
  rm -f "$play"
  printf 'ratio rerun/floor: %.2f\n' "$(echo "$RERUN / $SECS" | bc -l)"
}
