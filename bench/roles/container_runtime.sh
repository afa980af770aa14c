#!/usr/bin/env bash
# Benchmark of mlinfra.gpu.container_runtime (engine docker) on Debian 12 (not a timed test).
#   bash bench/roles/container_runtime.sh   # uses the container_runtime scenario's containers and local repository
# Prints: first converge and idempotent re-run wall time, task count, and Ansible's own per-task floor (a play of as
# many no-op tasks as the re-run ran, against the same container, in the same run), and the ratio re-run / floor.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/roles/lib.sh
# prepare builds/serves the repository on 127.0.0.1:18432 and seeds the user's daemon.json (no engine yet)
bench_scenario container_runtime

bench_inventory <<VARS
container_runtime_repo_url: http://127.0.0.1:18432/cuda/repos
container_runtime_repo_key_fingerprint: "$(cat .build/aptrepo-runtime/fingerprint)"
container_runtime_toolkit_version: "1.17"
container_runtime_gpu_facts: {count: 1, devices: [{vendor: nvidia, name: NVIDIA H100 80GB HBM3, architecture: hopper}]}
VARS
bench_play 'mlinfra.gpu.container_runtime' runtime.yml

bench_run "runtime first" "$WORK/runtime.yml" "$WORK/inventory.yml"
bench_run "runtime rerun" "$WORK/runtime.yml" "$WORK/inventory.yml"
RERUN=$SECS
bench_noop_floor $((TASKS - 1)) "$WORK/inventory.yml"  # the re-run's count includes Gathering Facts
