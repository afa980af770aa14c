#!/usr/bin/env bash
# Benchmark of mlinfra.gpu.container_runtime (engine docker) on Debian 12 (not a timed test).
#   bash bench/roles/container_runtime.sh   # uses the container_runtime scenario's containers and local repository
# Prints: first converge and idempotent re-run wall time, task count, and Ansible's own per-task floor (a play of as
# many no-op tasks as the re-run ran, against the same container, in the same run), and the ratio re-run / floor.
. "$(dirname "$0")/lib.sh"
# prepare builds/serves the repository on 127.0.0.1:18432 and seeds the user's daemon.json (no engine yet)
bench_start container_runtime

bench_inventory <<VARS
container_runtime_repo_url: http://127.0.0.1:18432/cuda/repos
container_runtime_repo_key_fingerprint: "$(cat .build/aptrepo-runtime/fingerprint)"
container_runtime_toolkit_version: "1.17"
container_runtime_gpu_facts: {count: 1, devices: [{vendor: nvidia, name: NVIDIA H100 80GB HBM3, architecture: hopper}]}
VARS
cat > "$WORK/runtime.yml" <<'PB'
- hosts: all
  gather_facts: true
  roles:
    - mlinfra.gpu.container_runtime
PB

bench_play "runtime first" "$WORK/runtime.yml"
bench_play "runtime rerun" "$WORK/runtime.yml"
bench_floor "runtime rerun"
