#!/usr/bin/env bash
# Benchmark of mlinfra.gpu.nvidia_driver and mlinfra.gpu.cuda_toolkit on Debian 12 (not a timed test).
#   bash bench/roles/bench.sh            # uses the nvidia_driver_repo scenario's containers and local repository
# Prints: first converge and idempotent re-run wall time per role, task count, and after each re-run Ansible's own
# per-task floor (a play of as many no-op tasks against the same container, in the same run) and the ratio.
. "$(dirname "$0")/lib.sh"
# prepare builds/serves the repository and installs branch 535 + CUDA 12.2 on both platforms; the bench then
# measures the converge to 580 + CUDA 12.4/12.8 (first) and its re-run (idempotent).
bench_start nvidia_driver_repo

bench_inventory <<VARS
gpu_node_base_time_sync: false
gpu_node_base_build_tools: false
nvidia_driver_source: nvidia
nvidia_driver_repo_url: http://127.0.0.1:18431/cuda/repos
nvidia_driver_repo_key_fingerprint: "$(cat .build/aptrepo/fingerprint)"
nvidia_driver_gpu_facts: {count: 8, nvswitch_count: 4, devices: [{vendor: nvidia, name: NVIDIA H100 80GB HBM3, architecture: hopper}]}
VARS
cat > "$WORK/driver.yml" <<'PB'
- hosts: all
  gather_facts: true
  roles:
    - {role: mlinfra.gpu.nvidia_driver, nvidia_driver_branch: "580"}
PB
cat > "$WORK/cuda.yml" <<'PB'
- hosts: all
  gather_facts: true
  roles:
    - {role: mlinfra.gpu.cuda_toolkit, cuda_toolkit_versions: ["12.4", "12.8"], cuda_toolkit_cudnn: true, cuda_toolkit_nccl: true}
PB

bench_play "driver first" "$WORK/driver.yml"
bench_play "driver rerun" "$WORK/driver.yml"
bench_floor "driver rerun"
bench_play "cuda first" "$WORK/cuda.yml"
bench_play "cuda rerun" "$WORK/cuda.yml"
bench_floor "cuda rerun"
