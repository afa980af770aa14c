# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Black-box test in a container: gpu_facts shipped over the Docker connection to a Debian node of the test
bed, with a fake ``nvidia-smi`` on the node's PATH that replays a recorded real capture, and a fake sysfs tree.

The node is the test bed's image (tests/containers/testbed.sh, built by scripts/setup.sh); the container has no
network and runs only ``sleep``.
"""

from __future__ import absolute_import, division, print_function

import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
CAPTURE = os.path.join(ROOT, "tests", "unit", "fixtures", "gpu", "nvidia", "linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01")
sys.path.insert(0, HERE)

from make_sysfs import hgx_devices, make_tree  # noqa: E402  pylint: disable=wrong-import-position

pytestmark = pytest.mark.integration


def _docker(*args, **kwargs):
    return subprocess.run(["docker"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=kwargs.get("check", True), timeout=120)


@pytest.fixture(params=["12", "13"], scope="module")
def node(request, tmp_path_factory):
    image = "mlinfra/debian:%s-systemd" % request.param
    assert _docker("image", "inspect", image, check=False).returncode == 0, (
        "test bed image %s missing: run scripts/setup.sh first" % image)
    name = "mlinfra-gpufacts-%s-%s" % (request.param, uuid.uuid4().hex[:6])
    _docker("run", "-d", "--rm", "--network", "none", "--name", name, image, "sleep", "600")
    try:
        stage = tmp_path_factory.mktemp("node")
        # the capture's GPU sits at 0000:00:09.0; seven more H100s and four NVSwitches are on PCI only
        make_tree(str(stage / "sys"), [("0000:00:09.0", "0x10de", "0x2330", "0x030200", "0")] + hgx_devices(7, 4))
        (stage / "proc" / "driver" / "nvidia").mkdir(parents=True)
        (stage / "proc" / "driver" / "nvidia" / "version").write_text(
            "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  590.48.01  Release Build\n")
        shutil.copytree(CAPTURE, str(stage / "capture"))
        shutil.copy(os.path.join(HERE, "fake_nvidia_smi.py"), str(stage / "fake_nvidia_smi.py"))
        _docker("cp", str(stage), "%s:/opt/fake" % name)
        _docker("exec", name, "sh", "-c",
                "printf '#!/bin/sh\\nexec /usr/bin/python3 /opt/fake/fake_nvidia_smi.py --fixture /opt/fake/capture \"$@\"\\n'"
                " > /usr/local/bin/nvidia-smi && chmod 0755 /usr/local/bin/nvidia-smi")
        yield name
    finally:
        _docker("rm", "-f", name, check=False)


def test_gpu_facts_over_the_docker_connection(node):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"), ANSIBLE_NOCOLOR="1")
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible"), "all", "-i", "%s," % node,
           "-c", "community.docker.docker", "-e", "ansible_python_interpreter=/usr/bin/python3",
           "-m", "mlinfra.gpu.gpu_facts", "-a", "sysfs_root=/opt/fake/sys proc_root=/opt/fake/proc", "-o"]
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.split("=>", 1)[1])
    gpu = result["ansible_facts"]["gpu"]
    # 8 GPUs on PCI, one of which nvidia-smi reports (the capture is from a 1-GPU machine): the tool's GPU
    # is merged by bus id only when ids match, so PCI keeps every device and the count is PCI's.
    assert gpu["count"] == 8 and gpu["nvswitch_count"] == 4
    assert gpu["driver"]["version"] == "590.48.01" and gpu["driver"]["kernel_module"] == "open"
    assert gpu["driver"]["loaded"] is True and gpu["driver"]["cuda_version"] == "13.1"
    assert gpu["sources"] == ["pci", "procfs", "nvidia-smi"]
    by_bus = {d["pci_bus_id"]: d for d in gpu["devices"]}
    # the tool's GPU and the PCI function at the same bus id are one device, with the tool's values
    seen = by_bus["0000:00:09.0"]
    assert seen["name"] == "NVIDIA H100 80GB HBM3" and seen["uuid"].startswith("GPU-") and seen["memory_mib"] == 81559
    # the others are known from the PCI id alone
    pci_only = [d for bus, d in by_bus.items() if bus != "0000:00:09.0"]
    assert len(pci_only) == 7 and all(d["uuid"] is None and d["pci_device_id"] == "10de:2330" for d in pci_only)
    assert all(d["architecture"] == "hopper" and d["compute_capability"] == "9.0" for d in gpu["devices"])
    assert result["changed"] is False
