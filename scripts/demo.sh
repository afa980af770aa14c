#!/usr/bin/env bash
# The main job on the embedded default: start a local Debian 12 container node (systemd, from the test
# bed's image) with SIMULATED hardware (8 x H100 + 4 NVSwitches: a PCI tree and an nvidia-smi replaying a recorded
# real capture, see tests/containers/simulated_hardware.py), provision it with playbooks/site.yml, run it again to
# show it is idempotent, and print what was done. Run as root on a fresh Debian machine:  bash scripts/demo.sh
# The node stays up afterwards (docker exec -it mlinfra-demo-node bash); remove it with
#   docker rm -f mlinfra-demo-node
. "$(dirname "$0")/setup.sh"
cd "$ROOT"
setup_all 12
NODE=mlinfra-demo-node
mapfile -t HW_ARGS < <(python3 tests/containers/simulated_hardware.py h100x8 "$ROOT/.build/demo-hardware")
# a node started before it had simulated hardware is started again with it
if [ "$(docker inspect -f '{{.State.Running}}' "$NODE" 2>/dev/null)" != "true" ] \
   || ! docker inspect -f '{{range .Mounts}}{{.Destination}} {{end}}' "$NODE" | grep -q /sys/bus/pci/devices; then
  log "starting container node $NODE (mlinfra/debian:12-systemd, SIMULATED hardware: 8 x H100 + 4 NVSwitches)"
  testbed_run "$NODE" 12 "${HW_ARGS[@]}"
fi
docker exec "$NODE" /opt/mlinfra-simulated/divert-nvidia-smi.sh
log "provisioning $NODE with playbooks/site.yml"
ansible-playbook -i inventories/local/hosts.yml playbooks/site.yml "$@"
log "second run (should change nothing)"
ansible-playbook -i inventories/local/hosts.yml playbooks/site.yml "$@" | tee "$ROOT/.build/demo-rerun.log" | grep -E "^(PLAY RECAP|$NODE)" || true
grep -q "changed=0" "$ROOT/.build/demo-rerun.log" || die "the second run changed something (see .build/demo-rerun.log)"
log "fleet report (playbooks/fleet_report.yml); the demo node's hardware is SIMULATED (recorded, see above)"
ansible-playbook -i inventories/local/hosts.yml playbooks/fleet_report.yml -e fleet_report_dir="$ROOT/.build/fleet-report" | grep -A8 "Show the summary" || true
cat "$ROOT/.build/fleet-report/fleet.md"
log "done: $NODE is provisioned; the second run changed nothing"
