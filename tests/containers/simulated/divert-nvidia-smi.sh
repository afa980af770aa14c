#!/bin/sh
# Run once in a node with simulated hardware (tests/containers/simulated_hardware.py). Debian's own nvidia-smi (package
# nvidia-smi, which the driver role installs) cannot work in a container, and once installed it is what gpu_facts
# finds: /usr/bin/nvidia-smi -> /etc/alternatives/nvidia--nvidia-smi -> /usr/lib/nvidia/current/nvidia-smi. That file
# is diverted (dpkg-divert: package installs and upgrades write /usr/lib/nvidia/current/nvidia-smi.distrib instead)
# and replaced by a link to the simulated one.
set -e
mkdir -p /usr/lib/nvidia/current
dpkg-divert --local --rename --divert /usr/lib/nvidia/current/nvidia-smi.distrib --add /usr/lib/nvidia/current/nvidia-smi >/dev/null
ln -sfn /usr/local/bin/nvidia-smi /usr/lib/nvidia/current/nvidia-smi
