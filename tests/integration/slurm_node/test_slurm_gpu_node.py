"""mlinfra.gpu.slurm_gpu_node against a real slurmctld + slurmd (Slurm 22.05, systemd services in a test-bed
container): gres.conf from recorded GPU facts (8 x H100 with NVSwitches, 8 x L40S, H100 with MIG devices), device
files made with mknod, slurmd restarted by the role, `scontrol show node` reports the right Gres=; a mismatch with the
controller refused; check mode, idempotence, no GPU, bad input."""
import json
import os
import subprocess
import sys

import pytest

from test_slurm_gres import (H100_MIG_ROW, H100_NUMA, L40S_NUMA, L40S_ROWS, MIG_LIST, MIG_TABLE, facts, h100_x8,
                             minors_text, smt_topology)

pytestmark = pytest.mark.integration

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.path.dirname(sys.executable)
PLAY = """\
- hosts: node
  gather_facts: false
  roles:
    - role: mlinfra.gpu.slurm_gpu_node
"""
GRES_BEFORE = "# the site's own line, outside the role's block\nName=mps Count=100 File=/dev/nvidia0\n"
CGROUP_BEFORE = "CgroupAutomount=yes\nConstrainDevices=no\nConstrainRAMSpace=yes\n"


def ansible_env():
    env = dict(os.environ)
    env.update({"PATH": BIN + os.pathsep + env.get("PATH", ""), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_HOST_KEY_CHECKING": "false",
                "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
                "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".build", "collections") + os.pathsep
                + env.get("ANSIBLE_COLLECTIONS_PATH", "")})
    return env


def playbook(box, tmp_path, play, extra, inventory=None, check=False, timeout=600):
    if inventory is None:
        extra = dict({"slurm_gpu_node_name": box.name}, **extra)
    (tmp_path / "play.yml").write_text(play)
    (tmp_path / "vars.json").write_text(json.dumps(extra))
    (tmp_path / "hosts.ini").write_text(inventory or (
        "node ansible_connection=community.docker.docker ansible_host=%s ansible_become=false "
        "ansible_python_interpreter=/usr/bin/python3\n" % box.name))
    argv = [os.path.join(BIN, "ansible-playbook"), "-i", str(tmp_path / "hosts.ini"), str(tmp_path / "play.yml"),
            "-e", "@" + str(tmp_path / "vars.json")] + (["--check"] if check else [])
    return subprocess.run(argv, env=ansible_env(), cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)


def recap(proc):
    """{'ok': n, 'changed': n, 'failed': n} of the one host of the recap."""
    line = [text for text in proc.stdout.splitlines() if " : ok=" in text][-1]
    return dict((k, int(v)) for k, v in (f.split("=") for f in line.split(":", 1)[1].split()) if k in ("ok", "changed", "failed"))


def sysfs(numa, topology):
    files = dict(("devices/system/node/node%d/cpulist" % n, text + "\n") for n, text in numa.items())
    for cpu, (package, core) in topology.items():
        files["devices/system/cpu/cpu%d/topology/physical_package_id" % cpu] = "%d\n" % package
        files["devices/system/cpu/cpu%d/topology/core_id" % cpu] = "%d\n" % core
    return files


def slurmd_pid(box):
    return box.node.run(["systemctl", "show", "-p", "MainPID", "--value", "slurmd"]).stdout.strip()


def wait_registered(box, want):
    """scontrol show node until slurmd has registered (the Gres= shows the socket of the cores: '(S:...)')."""
    from slurm_testbed import wait_for

    def registered():
        node = box.show(box.name)
        return node if node["gres"] == want else None
    return wait_for("node registered with %s" % want, registered, timeout=60, interval=1)


@pytest.fixture(scope="module")
def gpu_box(slurm_container):
    box = slurm_container
    box.sh("mkdir -p /dev/nvidia-caps; for i in 0 1 2 3 4 5 6 7; do [ -e /dev/nvidia$i ] || mknod -m 0666 /dev/nvidia$i c 195 $i; done; "
           "for m in 21 22 30 31 84 85 93 94; do [ -e /dev/nvidia-caps/nvidia-cap$m ] || mknod -m 0444 /dev/nvidia-caps/nvidia-cap$m c 237 $m; done")
    box.put("/etc/slurm/gres.conf", GRES_BEFORE)
    box.put("/etc/slurm/cgroup.conf", CGROUP_BEFORE)
    box.put_tree(sysfs(H100_NUMA, smt_topology(2, 56)), "/var/tmp/sysfs-h100")
    box.put_tree(sysfs(L40S_NUMA, smt_topology(2, 32)), "/var/tmp/sysfs-l40s")
    box.put_tree({"driver/nvidia-caps/mig-minors": minors_text()}, "/var/tmp/proc-mig")
    box.put_tree({"list.txt": MIG_LIST, "table.txt": MIG_TABLE}, "/var/tmp/smi-recorded")
    box.put("/usr/local/bin/nvidia-smi-recorded",
            "#!/bin/sh\n# recorded nvidia-smi output of an H100 with 4 MIG devices (tests/unit/fixtures/mig)\n"
            "if [ \"$1\" = -L ]; then cat /var/tmp/smi-recorded/list.txt; else cat /var/tmp/smi-recorded/table.txt; fi\n")
    box.sh("chmod 0755 /usr/local/bin/nvidia-smi-recorded")
    return box


H100_TOPOLOGY = "CPUs=224 Boards=1 SocketsPerBoard=2 CoresPerSocket=56 ThreadsPerCore=2"
L40S_TOPOLOGY = "CPUs=128 Boards=1 SocketsPerBoard=2 CoresPerSocket=32 ThreadsPerCore=2"


def test_check_mode_on_a_fresh_node_changes_nothing(gpu_box, tmp_path):
    gpu_box.configure("gpu:h100:8", H100_TOPOLOGY)
    proc = playbook(gpu_box, tmp_path, PLAY, {"slurm_gpu_node_gpu_facts": h100_x8(),
                                              "slurm_gpu_node_sysfs_root": "/var/tmp/sysfs-h100"}, check=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (gpu_box.read("/etc/slurm/gres.conf"), gpu_box.read("/etc/slurm/cgroup.conf")) == (GRES_BEFORE, CGROUP_BEFORE)


def test_h100_x8_with_nvswitches(gpu_box, tmp_path):
    gpu_box.configure("gpu:h100:8", H100_TOPOLOGY)
    before = slurmd_pid(gpu_box)
    extra = {"slurm_gpu_node_gpu_facts": h100_x8(), "slurm_gpu_node_sysfs_root": "/var/tmp/sysfs-h100"}
    proc = playbook(gpu_box, tmp_path, PLAY, extra)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert gpu_box.read("/etc/slurm/gres.conf") == GRES_BEFORE + (
        "# BEGIN mlinfra.gpu.slurm_gpu_node: the node's GPUs (edit outside this block)\n"
        + "".join("Name=gpu Type=h100 File=/dev/nvidia%d Cores=%s\n" % (i, "0-55" if i < 4 else "56-111") for i in range(8))
        + "# END mlinfra.gpu.slurm_gpu_node: the node's GPUs (edit outside this block)\n")
    assert gpu_box.read("/etc/slurm/cgroup.conf") == "CgroupAutomount=yes\nConstrainDevices=yes\nConstrainRAMSpace=yes\n"
    assert slurmd_pid(gpu_box) != before
    node = wait_registered(gpu_box, "gpu:h100:8(S:0-1)")
    assert (node["state"], node["reason"]) == ("idle", "")
    assert "slurm_gpu_node: %s Gres=gpu:h100:8" % gpu_box.name in proc.stdout

    pid = slurmd_pid(gpu_box)
    again = playbook(gpu_box, tmp_path, PLAY, extra)
    assert (again.returncode, recap(again)["changed"]) == (0, 0), again.stdout[-3000:]
    assert slurmd_pid(gpu_box) == pid


def node_tests(box, tmp_path, role_vars):
    """tests/node against the container, through an inventory whose host carries the role's variables and
    mlinfra_gpu_roles; (the pytest process, its JSON summary)."""
    host = {"ansible_connection": "community.docker.docker", "ansible_host": box.name, "ansible_become": False,
            "ansible_python_interpreter": "/usr/bin/python3", "mlinfra_gpu_roles": ["slurm_gpu_node"]}
    (tmp_path / "nodes.yml").write_text(json.dumps({"all": {"hosts": {"node": dict(host, **role_vars)}}}))
    env = dict((key, value) for key, value in ansible_env().items() if not key.startswith("PYTEST_"))
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/node", "--hosts=ansible://node",
            "--ansible-inventory=%s" % (tmp_path / "nodes.yml"), "--node-summary=%s" % (tmp_path / "summary.json"),
            "--tb=line"]
    proc = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    return proc, json.loads((tmp_path / "summary.json").read_text())


SLURM_NODE_TESTS = ["test_cgroup_constrains_devices", "test_controller_gres", "test_gres_conf_block",
                    "test_slurmd_running"]


def test_node_tests_pass_then_fail_on_a_broken_property(gpu_box, tmp_path):
    """tests/node/test_slurm_gpu_node.py after a converge on 8 x H100: its four tests pass; with ConstrainDevices=no in
    cgroup.conf exactly that test fails, naming the host and the property."""
    gpu_box.configure("gpu:h100:8", H100_TOPOLOGY)  # stops slurmd: the converge writes the files, so starts it again
    gpu_box.put("/etc/slurm/gres.conf", GRES_BEFORE)
    gpu_box.put("/etc/slurm/cgroup.conf", CGROUP_BEFORE)
    role_vars = {"slurm_gpu_node_name": gpu_box.name, "slurm_gpu_node_gpu_facts": h100_x8(),
                 "slurm_gpu_node_sysfs_root": "/var/tmp/sysfs-h100"}
    proc = playbook(gpu_box, tmp_path, PLAY, role_vars)
    assert proc.returncode == 0, proc.stdout[-3000:]
    wait_registered(gpu_box, "gpu:h100:8(S:0-1)")

    run, summary = node_tests(gpu_box, tmp_path, role_vars)
    assert (run.returncode, summary["node"]["status"], summary["node"]["passed"]) == (0, "OK", 4), run.stdout[-3000:]

    cgroup = gpu_box.read("/etc/slurm/cgroup.conf")
    gpu_box.put("/etc/slurm/cgroup.conf", cgroup.replace("ConstrainDevices=yes", "ConstrainDevices=no"))
    try:
        run, summary = node_tests(gpu_box, tmp_path, role_vars)
    finally:
        gpu_box.put("/etc/slurm/cgroup.conf", cgroup)
    failed = summary["node"]["failed"]
    assert (run.returncode, summary["node"]["passed"], list(failed)) == (
        1, 3, ["test_slurm_gpu_node.py::test_cgroup_constrains_devices"]), run.stdout[-3000:]
    assert failed["test_slurm_gpu_node.py::test_cgroup_constrains_devices"].startswith(
        "AssertionError: node: cgroup.conf ConstrainDevices /etc/slurm/cgroup.conf: found ['ConstrainDevices=no'], "
        "expected exactly ['ConstrainDevices=yes']")


def test_l40s_x8(gpu_box, tmp_path):
    gpu_box.configure("gpu:l40s:8", L40S_TOPOLOGY)
    proc = playbook(gpu_box, tmp_path, PLAY, {"slurm_gpu_node_gpu_facts": facts(L40S_ROWS, [0, 0, 0, 0, 1, 1, 1, 1]),
                                              "slurm_gpu_node_sysfs_root": "/var/tmp/sysfs-l40s"})
    assert proc.returncode == 0, proc.stdout[-3000:]
    node = wait_registered(gpu_box, "gpu:l40s:8(S:0-1)")
    assert (node["state"], node["reason"]) == ("idle", "")


def test_h100_mig_devices(gpu_box, tmp_path):
    gres = "gpu:3g.40gb:1,gpu:2g.20gb:1,gpu:1g.10gb:2"
    gpu_box.configure(gres, H100_TOPOLOGY)
    proc = playbook(gpu_box, tmp_path, PLAY, {"slurm_gpu_node_gpu_facts": facts([H100_MIG_ROW], [0]),
                                              "slurm_gpu_node_sysfs_root": "/var/tmp/sysfs-h100",
                                              "slurm_gpu_node_proc_root": "/var/tmp/proc-mig",
                                              "slurm_gpu_node_nvidia_smi_path": "/usr/local/bin/nvidia-smi-recorded"})
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "Name=gpu Type=1g.10gb MultipleFiles=/dev/nvidia0,/dev/nvidia-caps/nvidia-cap93,/dev/nvidia-caps/nvidia-cap94\n" \
        in gpu_box.read("/etc/slurm/gres.conf")
    node = wait_registered(gpu_box, gres)
    assert (node["state"], node["reason"]) == ("idle", "")


def test_mismatch_with_the_controller_is_refused(gpu_box, tmp_path):
    gpu_box.configure("gpu:a100:8", H100_TOPOLOGY)
    proc = playbook(gpu_box, tmp_path, PLAY, {"slurm_gpu_node_gpu_facts": h100_x8(), "slurm_gpu_node_check_timeout": 6,
                                              "slurm_gpu_node_sysfs_root": "/var/tmp/sysfs-h100"})
    assert proc.returncode == 2
    # the controller may already have drained the node for its GRES ("and drained the node (...)") or not yet
    assert "slurm_gpu_node: node %s: the controller expects Gres=gpu:a100:8" % gpu_box.name in proc.stdout
    assert ("but the node has Gres=gpu:h100:8; set the node's Gres= in slurm.conf to gpu:h100:8 (NodeName=%s "
            "Gres=gpu:h100:8) and run 'scontrol reconfigure', or correct the node's GPUs" % gpu_box.name) in proc.stdout


def test_no_gpu_writes_nothing(gpu_box, tmp_path):
    before = (gpu_box.read("/etc/slurm/gres.conf"), gpu_box.read("/etc/slurm/cgroup.conf"))
    proc = playbook(gpu_box, tmp_path, PLAY, {"slurm_gpu_node_gpu_facts": {"count": 0, "devices": []}})
    assert (proc.returncode, recap(proc)["changed"]) == (0, 0), proc.stdout[-3000:]
    assert "has no NVIDIA GPU; nothing was written" in proc.stdout
    assert (gpu_box.read("/etc/slurm/gres.conf"), gpu_box.read("/etc/slurm/cgroup.conf")) == before


@pytest.mark.parametrize("extra,sentinel", [
    ({"slurm_gpu_node_conf_dir": "etc/slurm"}, "slurm_gpu_node_conf_dir must be an absolute path (now 'etc/slurm'"),
    ({"slurm_gpu_node_autodetect": "rsmi"}, "value of slurm_gpu_node_autodetect must be one of: off, nvml, got: rsmi"),
])
def test_bad_input_refused_before_any_change(gpu_box, tmp_path, extra, sentinel):
    before = (gpu_box.read("/etc/slurm/gres.conf"), gpu_box.read("/etc/slurm/cgroup.conf"))
    extra = dict(extra, slurm_gpu_node_gpu_facts=h100_x8(), slurm_gpu_node_sysfs_root="/var/tmp/sysfs-h100")
    proc = playbook(gpu_box, tmp_path, PLAY, extra)
    assert proc.returncode == 2
    assert sentinel in " ".join(proc.stdout.split())
    assert (gpu_box.read("/etc/slurm/gres.conf"), gpu_box.read("/etc/slurm/cgroup.conf")) == before
