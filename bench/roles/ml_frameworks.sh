#!/usr/bin/env bash
# Benchmark of mlinfra.gpu.ml_frameworks (one jax[cpu] environment from PyPI) on Debian 12 (not a timed test).
#   bash bench/roles/ml_frameworks.sh   # uses the ml_frameworks scenario's containers (prepare: CA, wheelhouse)
# Prints: first converge and idempotent re-run wall time, task count, the no-op floor of as many tasks, and the ratio.
. "$(dirname "$0")/lib.sh"
bench_start ml_frameworks

bench_inventory <<VARS
ml_frameworks_envs: [{name: jax, framework: jax, version: "0.4.35"}]
ml_frameworks_ca_file: /etc/ssl/certs/ca-certificates.crt
VARS
cat > "$WORK/frameworks.yml" <<'PB'
- hosts: all
  gather_facts: true
  roles:
    - mlinfra.gpu.ml_frameworks
PB

bench_play "frameworks first" "$WORK/frameworks.yml"
bench_play "frameworks rerun" "$WORK/frameworks.yml"
bench_floor "frameworks rerun"
