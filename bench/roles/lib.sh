# shellcheck shell=bash
# Helpers of the role benchmarks (sourced). bench_run NAME PLAYBOOK INVENTORY prints "NAME seconds tasks changed" and
# sets SECS and TASKS; bench_noop_floor N INVENTORY runs a play of N no-op tasks (Ansible's own per-task floor) and
# prints the ratio of the last re-run (RERUN seconds) to it.
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
