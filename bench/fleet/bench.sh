#!/usr/bin/env bash
# Benchmark of the whole stack (playbooks/site.yml) on N container nodes at once, forks = N (not a timed test).
#   bash bench/fleet/bench.sh                    # N = 1 2 4 8 (BENCH_FLEET_SIZES="1 2" for fewer)
# Each N gets fresh nodes (Debian 12 and 13 alternating, the test bed's images, SIMULATED hardware: 8 x H100 +
# 4 NVSwitches from tests/containers/simulated_hardware.py), the same settings as molecule/fleet, and is timed for:
# the first converge, the idempotent re-run, and Ansible's per-task floor on the same nodes in the same run (a play of
# as many no-op tasks as the re-run ran, facts gathered with the same subset). Prints one Markdown row per N and the
# machine's load before and after.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/containers/testbed.sh
. bench/lib.sh
ensure_venv
ensure_collection_link
SIZES=${BENCH_FLEET_SIZES:-1 2 4 8}
WORK=$(mktemp -d)
NODES=()
remove_nodes() { local n; for n in "${NODES[@]}"; do docker rm -f "$n" >/dev/null 2>&1 || true; done; NODES=(); }
trap 'remove_nodes; rm -rf "$WORK"' EXIT
mapfile -t HW < <(python3 tests/containers/simulated_hardware.py h100x8 "$ROOT/.build/bench-fleet-hardware")
ensure_images 12 13 >/dev/null 2>&1

ROWS=()
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
for n in $SIZES; do
  for i in $(seq "$n"); do
    NODES+=("mlinfra-bench-fleet-$i")
    testbed_run "mlinfra-bench-fleet-$i" $(( i % 2 ? 12 : 13 )) "${HW[@]}"
    docker exec "mlinfra-bench-fleet-$i" /opt/mlinfra-simulated/divert-nvidia-smi.sh
  done
  {
    printf 'all:\n  children:\n    gpu:\n      hosts:\n'
    printf '        %s:\n' "${NODES[@]}"
    cat <<'VARS'
      vars:
        ansible_connection: community.docker.docker
        ansible_python_interpreter: /usr/bin/python3
        ansible_become: false
        mlinfra_gpu_simulated_hardware: 8 x NVIDIA H100 80GB HBM3 + 4 NVSwitches (recorded)
        gpu_node_base_time_sync: false
        nvidia_driver_fabricmanager: false
        container_runtime_engine: podman
        container_runtime_nvidia: false
VARS
  } > "$WORK/inventory.yml"
  bench_run "N=$n converge" "$WORK/inventory.yml" playbooks/site.yml -f "$n"
  CONVERGE=$SECS
  bench_run "N=$n rerun" "$WORK/inventory.yml" playbooks/site.yml -f "$n"
  RERUN=$SECS RERUN_TASKS=$TASKS RERUN_CHANGED=$CHANGED
  # the re-run's count includes the host-pattern check (on the controller) and Gathering Facts
  bench_noop_playbook "$WORK/noop.yml" $((RERUN_TASKS - 2)) "min, virtual"
  bench_run "N=$n noop x$((RERUN_TASKS - 2))" "$WORK/inventory.yml" "$WORK/noop.yml" -f "$n"
  ROWS+=("$(printf '| %s | %.1f s | %.1f s | %.1f s | %.1f s | %s | %.1f s | %.2f | %s |' "$n" "$CONVERGE" \
    "$(echo "$CONVERGE / $n" | bc -l)" "$RERUN" "$(echo "$RERUN / $n" | bc -l)" "$RERUN_TASKS" "$SECS" \
    "$(echo "$RERUN / $SECS" | bc -l)" "$RERUN_CHANGED")")
  echo "${ROWS[-1]}   (load now: $(cut -d' ' -f1-3 /proc/loadavg))"
  remove_nodes
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| N (forks) | converge | per node | re-run | per node | re-run tasks | no-op floor | re-run / floor | changed in re-run |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
