# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recorded GPU hardware for a container node of the test bed (the demo node, the fleet scenario, the bench).

  simulated_hardware.py PROFILE DIR     writes DIR/sys (a PCI tree) and prints the ``docker run`` arguments, one per
                                        line, that give a container this hardware
  then, once the node runs:  docker exec NODE /opt/mlinfra-simulated/divert-nvidia-smi.sh

The node sees, through bind mounts (read-only):
  /sys/bus/pci/devices        the PCI tree of tests/integration/gpu_facts/make_sysfs.py
  /usr/local/bin/nvidia-smi   tests/containers/simulated/nvidia-smi: tests/integration/gpu_facts/fake_nvidia_smi.py
                              replaying the real capture of an H100 80GB HBM3 with driver 590.48.01
                              (tests/unit/fixtures/gpu/nvidia/, source in its SOURCES.md)
  /opt/mlinfra-simulated/divert-nvidia-smi.sh  diverts Debian's nvidia-smi to the simulated one (the driver
                              role installs Debian's, which cannot work in a container)
The capture is from a one-GPU machine (its GPU at 0000:00:09.0): in profile h100x8 the other seven H100s and the
four NVSwitches are seen on PCI only, as on a node where nvidia-smi lists one GPU. No kernel module is loaded: the
driver's own /proc and /sys/module entries are absent. Anything that shows this hardware must say it is simulated.
Profiles: h100x8 (training: 8 x H100 SXM5 + 4 NVSwitches), h100x1 (inference: 1 x H100).
"""

from __future__ import absolute_import, division, print_function

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "gpu_facts"))

from make_sysfs import hgx_devices, make_tree  # noqa: E402  pylint: disable=wrong-import-position

CAPTURE = os.path.join(ROOT, "tests", "unit", "fixtures", "gpu", "nvidia",
                       "linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01")
FAKE_SMI = os.path.join(ROOT, "tests", "integration", "gpu_facts", "fake_nvidia_smi.py")
WRAPPER = os.path.join(HERE, "simulated", "nvidia-smi")
DIVERT = os.path.join(HERE, "simulated", "divert-nvidia-smi.sh")
# the capture's GPU
CAPTURED = ("0000:00:09.0", "0x10de", "0x2330", "0x030200", "0")
PROFILES = {
    "h100x8": [CAPTURED] + hgx_devices(7, 4),
    "h100x1": [CAPTURED],
}


def docker_args(directory):
    """The docker run arguments (bind mounts) of the hardware written under directory."""
    mounts = ((os.path.join(directory, "sys", "bus", "pci", "devices"), "/sys/bus/pci/devices"),
              (CAPTURE, "/opt/mlinfra-simulated/capture"),
              (FAKE_SMI, "/opt/mlinfra-simulated/fake_nvidia_smi.py"),
              (WRAPPER, "/usr/local/bin/nvidia-smi"),
              (DIVERT, "/opt/mlinfra-simulated/divert-nvidia-smi.sh"))
    args = []
    for source, target in mounts:
        args += ["-v", "%s:%s:ro" % (os.path.abspath(source), target)]
    return args


def main(argv):
    if len(argv) != 2 or argv[0] not in PROFILES:
        sys.stderr.write("usage: simulated_hardware.py {%s} DIR\n" % "|".join(sorted(PROFILES)))
        return 2
    make_tree(os.path.join(argv[1], "sys"), PROFILES[argv[0]])
    sys.stdout.write("\n".join(docker_args(argv[1])) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
