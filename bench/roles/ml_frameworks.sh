#!/usr/bin/env bash
# Benchmark of mlinfra.gpu.ml_frameworks (one jax[cpu] environment from PyPI) on Debian 12 (not a timed test).
#   bash bench/roles/ml_frameworks.sh   # uses the ml_frameworks scenario's containers (prepare: CA, wheelhouse)
# Prints: first converge and idempotent re-run wall time, task count, the no-op floor of as many tasks, and the ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/roles/lib.sh
bench_scenario ml_frameworks

bench_inventory <<VARS
ml_frameworks_envs: [{name: jax, framework: jax, version: "0.4.35"}]
ml_frameworks_ca_file: /etc/ssl/certs/ca-certificates.crt
VARS
bench_play 'mlinfra.gpu.ml_frameworks' frameworks.yml
bench_run "frameworks first" "$WORK/frameworks.yml" "$WORK/inventory.yml"
bench_run "frameworks rerun" "$WORK/frameworks.yml" "$WORK/inventory.yml"
RERUN=$SECS
bench_noop_floor $((TASKS - 1)) "$WORK/inventory.yml"  # the re-run's count includes Gathering Facts
