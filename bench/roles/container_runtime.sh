#!/usr/bin/env bash
# Benchmark of mlinfra.gpu.container_runtime (engine docker) on Debian 12 (not a timed test).
#   bash bench/roles/container_runtime.sh   # uses the container_runtime scenario's containers and local repository
# Prints: first converge and idempotent re-run wall time, task count, and Ansible's own per-task floor (a play of as
# many no-op tasks as the re-run ran, against the same container, in the same run), and the ratio re-run / floor.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
. bench/lib.sh
ensure_venv
ensure_collection_link
SCEN=container_runtime
HOST=mlinfra-${SCEN}-debian12
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; molecule cleanup -s "$SCEN" >/dev/null 2>&1 || true; molecule destroy -s "$SCEN" >/dev/null 2>&1 || true' EXIT

molecule destroy -s "$SCEN" >/dev/null 2>&1 || true
molecule create -s "$SCEN" >/dev/null
# prepare builds/serves the repository on 127.0.0.1:18432 and seeds the user's daemon.json (no engine yet)
molecule prepare -s "$SCEN" >/dev/null

cat > "$WORK/inventory.yml" <<INV
all:
  hosts:
    ${HOST}:
      ansible_connection: community.docker.docker
  vars:
    container_runtime_repo_url: http://127.0.0.1:18432/cuda/repos
    container_runtime_repo_key_fingerprint: "$(cat .build/aptrepo-runtime/fingerprint)"
    container_runtime_toolkit_version: "1.17"
    container_runtime_gpu_facts: {count: 1, devices: [{vendor: nvidia, name: NVIDIA H100 80GB HBM3, architecture: hopper}]}
INV
cat > "$WORK/runtime.yml" <<'PB'
- hosts: all
  gather_facts: true
  roles:
    - mlinfra.gpu.container_runtime
PB

bench_run "runtime first" "$WORK/inventory.yml" "$WORK/runtime.yml"
bench_run "runtime rerun" "$WORK/inventory.yml" "$WORK/runtime.yml"
RERUN=$SECS
N=$TASKS
bench_noop_playbook "$WORK/noop.yml" $((N - 1))  # the re-run's count includes Gathering Facts
bench_run "noop x$((N - 1))" "$WORK/inventory.yml" "$WORK/noop.yml"
printf 'ratio rerun/floor: %.2f\n' "$(echo "$RERUN / $SECS" | bc -l)"
