"""Slurm 22.05 (Debian 12's packages) in a systemd container of the test bed (tests/containers/testbed.sh, image
mlinfra/debian:12-systemd, --network host): munge, slurmctld and slurmd run as systemd services with
/etc/slurm/slurm.conf, so the slurm_gpu_node role restarts a real slurmd.service; four more slurmd (m1..m4, started
with -N) are the nodes of the rolling maintenance tests. The shared test-bed helpers are in
tests/integration/slurm_testbed.py (also used by the inventory tests)."""
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "..", "..", "unit", "plugins", "module_utils"))

from slurm_testbed import SlurmNodeHost, free_port, require_testbed, started_node, wait_for  # noqa: E402

from ansible_collections.mlinfra.gpu.plugins.module_utils._slurm_maint import node_from_show  # noqa: E402

PACKAGES = ["munge", "slurmctld", "slurmd", "slurm-client"]
MAINT_NODES = ("m1", "m2", "m3", "m4")
SLURM_CONF = """\
ClusterName=mltest
SlurmctldHost={name}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
SlurmUser=slurm
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd/%n
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.%n.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.%n.log
SlurmdParameters=config_overrides
SlurmdTimeout=3600
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
GresTypes=gpu
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName={name} NodeAddr=127.0.0.1 {topology} Gres={gres} State=UNKNOWN
{maint_nodes}
PartitionName=all Nodes=ALL Default=YES State=UP
"""


class SlurmContainer(object):
    def __init__(self, name, workdir):
        self.name = name
        self.workdir = workdir
        self.node = SlurmNodeHost(["docker", "exec", name])
        self.ports = dict(ctld_port=free_port(), slurmd_port=free_port())
        self.maint_ports = dict((n, free_port()) for n in MAINT_NODES)

    def sh(self, script, timeout=120, check=True):
        return self.node.run(["sh", "-ec", script], timeout=timeout, check=check)

    def put(self, path, text):
        local = os.path.join(self.workdir, "put.tmp")
        with open(local, "w") as f:
            f.write(text)
        subprocess.run(["docker", "cp", local, "%s:%s" % (self.name, path)], check=True, capture_output=True, timeout=60)

    def read(self, path):
        return self.node.run(["cat", path], check=False).stdout

    def configure(self, gres, topology="CPUs=2"):
        """slurm.conf with this node's Gres= and CPU topology (config_overrides: slurmd reports what it says).

        The node's slurmd is stopped first: registering its previous gres.conf with the new configuration would
        drain the node (the role starts it again when it writes the files); slurmctld starts clean (-c, set in
        /etc/default/slurmctld), forgetting what the previous case's node registered."""
        self.sh("systemctl stop slurmd")
        maint = "\n".join("NodeName=%s NodeAddr=127.0.0.1 Port=%d CPUs=1" % (n, p) for n, p in self.maint_ports.items())
        self.put("/etc/slurm/slurm.conf", SLURM_CONF.format(name=self.name, gres=gres, topology=topology,
                                                            maint_nodes=maint, **self.ports))
        self.sh("systemctl restart slurmctld")
        wait_for("slurmctld", lambda: self.node.run(["scontrol", "ping"], check=False).returncode == 0, timeout=60)

    def show(self, node):
        return node_from_show(self.node.run(["scontrol", "show", "node", "-o", node]).stdout, node)

    def put_tree(self, files, dest):
        """Write {relative path: text} under ``dest`` in the container."""
        root = os.path.join(self.workdir, os.path.basename(dest))
        shutil.rmtree(root, ignore_errors=True)
        for path, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
            with open(os.path.join(root, path), "w") as f:
                f.write(text)
        self.sh("rm -rf %s" % dest)
        subprocess.run(["docker", "cp", root, "%s:%s" % (self.name, dest)], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def slurm_container(tmp_path_factory):
    require_testbed(12, "the Slurm node tests")
    reuse = os.environ.get("MLINFRA_SLURM_NODE_REUSE")  # development: a container a previous run kept
    name = reuse or "mlinfra-slurm-node-%d" % os.getpid()
    box = SlurmContainer(name, str(tmp_path_factory.mktemp("slurm-node")))
    if reuse:
        try:
            box.configure("gpu:0")
            yield box
        finally:
            sys.stderr.write("kept container %s\n" % name)
        return
    with started_node(name, 12, keep=bool(os.environ.get("MLINFRA_KEEP_CONTAINERS"))):
        box.sh("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq %s >/dev/null 2>&1; "
               "systemctl stop slurmd slurmctld; mkdir -p /var/log/slurm /var/lib/slurm/slurmd; "
               "chown slurm /var/log/slurm /var/lib/slurm/slurmctld; echo SLURMCTLD_OPTIONS=-c >/etc/default/slurmctld; "
               "systemctl restart munge" % " ".join(PACKAGES),
               timeout=900)
        box.configure("gpu:0")
        yield box
