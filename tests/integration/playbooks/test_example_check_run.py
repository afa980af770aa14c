"""A --check run of playbooks/site.yml with inventories/example's variables against a container node: the roles
accept the example's values on a real node, and check mode changes nothing.

The node is the demo node (mlinfra-demo-node) when scripts/demo.sh left it running; otherwise (CI, a fresh clone)
the test starts its own, mlinfra-example-check-node, the way scripts/demo.sh starts the demo node (the test bed's
Debian 12 image, simulated 8 x H100 + 4 NVSwitches from tests/containers/simulated_hardware.py), as fresh as a new
image: apt has never downloaded its package lists (the roles' check mode must cope), and removes it at the end. The
node plays one example host at a time (ansible_host); as a training node, the settings that would reach outside this
machine are replaced (see docs/site.md).
"""
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from slurm_testbed import require_testbed, started_node  # noqa: E402  pylint: disable=wrong-import-position

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DEMO_NODE = "mlinfra-demo-node"
OWN_NODE = "mlinfra-example-check-node"
SIMULATED_HARDWARE = os.path.join(ROOT, "tests", "containers", "simulated_hardware.py")
# this machine's kernel has no NFS client: the fstab lines are planned, not mounted
HERE = ["storage_mounts_mount=false"]
# a training node's NVMe drives, S3 endpoint (and its vaulted keys), Slurm controller and NVIDIA's repository are not here
OFFLINE = HERE + ["nvidia_driver_source=distro", "nvidia_driver_fabricmanager=false", "mlinfra_gpu_cuda_toolkit=false",
                  "container_runtime_nvidia=false", "mlinfra_gpu_storage_mounts=false", "mlinfra_gpu_slurm_gpu_node=false"]

pytestmark = pytest.mark.integration


def _running(name):
    try:
        proc = subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", name], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, check=False, timeout=30)
    except OSError:
        return False
    return proc.stdout.strip() == "true"


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    """The running demo node, or a node of this test's own with the demo node's simulated hardware."""
    if _running(DEMO_NODE):
        yield DEMO_NODE
        return
    require_testbed(12, "the example's check run")
    hardware = subprocess.run([sys.executable, SIMULATED_HARDWARE, "h100x8", str(tmp_path_factory.mktemp("hardware"))],
                              capture_output=True, text=True, timeout=60, check=False)
    assert hardware.returncode == 0, hardware.stderr
    with started_node(OWN_NODE, 12, hardware.stdout.splitlines()) as name:
        divert = subprocess.run(["docker", "exec", name, "/opt/mlinfra-simulated/divert-nvidia-smi.sh"],
                                capture_output=True, text=True, timeout=60, check=False)
        assert divert.returncode == 0, divert.stdout + divert.stderr
        yield name


def _check_run(node, host, extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_NOCOLOR="1",
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), os.path.join(ROOT, "playbooks", "site.yml"),
           "-i", os.path.join(ROOT, "inventories", "example"), "--limit", host, "--check"]
    for var in ["ansible_host=" + node, "ansible_connection=community.docker.docker", "ansible_user=root",
                "ansible_become=false", "ansible_python_interpreter=/usr/bin/python3", "mlinfra_gpu_hosts=cluster"] + extra:
        cmd += ["-e", var]
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          check=False, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return json.loads(proc.stdout)["stats"]


@pytest.mark.parametrize("host, extra", [("login01.example.internal", HERE), ("train01.example.internal", OFFLINE)])
def test_the_example_passes_a_check_run(node, host, extra):
    stats = _check_run(node, host, extra)
    # the host ran (a pattern that misses it would leave no stats) and nothing failed
    assert list(stats) == [host]
    assert (stats[host]["failures"], stats[host]["unreachable"]) == (0, 0)
