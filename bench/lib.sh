#!/usr/bin/env bash
# Helpers shared by the bench scripts (source it after scripts/lib.sh).
#   bench_run NAME INVENTORY PLAYBOOK [ansible-playbook args...]
#       runs the playbook; prints "NAME seconds tasks changed" and sets SECS, TASKS and CHANGED (sum over hosts)
#   bench_noop_playbook FILE TASKS [GATHER_SUBSET]
#       writes a play of TASKS no-op tasks (a command that changes nothing) on all hosts: Ansible's per-task floor

bench_run() {
  local name="$1" inv="$2" pb="$3" t0 t1 out
  shift 3
  t0=$(date +%s.%N)
  out=$(ANSIBLE_STDOUT_CALLBACK=ansible.builtin.default ansible-playbook -i "$inv" "$pb" "$@")
  t1=$(date +%s.%N)
  SECS=$(echo "$t1 - $t0" | bc)
  TASKS=$(grep -c '^TASK \[' <<<"$out")
  CHANGED=$(grep -oP '^\S+\s+: ok=.*changed=\K[0-9]+' <<<"$out" | paste -sd+ | bc)
  printf '%-22s %6.1fs  tasks=%-4s changed=%s\n' "$name" "$SECS" "$TASKS" "$CHANGED"
}

bench_noop_playbook() {
  local file="$1" n="$2" subset="${3:-all}" i
  {
    echo "- hosts: all"
    echo "  gather_facts: true"
    echo "  gather_subset: [$subset]"
    echo "  tasks:"
    for i in $(seq "$n"); do
      printf '    - name: noop %s\n      ansible.builtin.command: "true"\n      changed_when: false\n' "$i"
    done
  } > "$file"
}
