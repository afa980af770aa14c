"""playbooks/maintenance.yml against real Slurm 22.05 (four slurmd in the test-bed container): a rolling maintenance
over m1, m3, m2, m4 one at a time with a real job running on m1 (sbatch of a sleeping job). m1 is drained with who and
why, the play waits for the job, does the (stand-in) work, passes the health gate and resumes; the job ends normally.
m3 was drained beforehand: it keeps its drain and reason. m2 fails its health gate: it stays drained with the failure
as its reason, and m4 (a later batch) is not touched."""
import os

import pytest

from slurm_testbed import wait_for
from test_slurm_gpu_node import ROOT, playbook

pytestmark = pytest.mark.integration

WORK = """\
- name: Stand-in upgrade (records the jobs the node runs while it is worked on)
  ansible.builtin.command:
    argv: [squeue, --noheader, --nodelist, "{{ inventory_hostname }}", --format, "%i %T"]
  register: stand_in_jobs
  changed_when: false

- name: Stand-in upgrade, the change
  ansible.builtin.copy:
    dest: "/var/tmp/upgraded-{{ inventory_hostname }}"
    content: "jobs during the work: [{{ stand_in_jobs.stdout }}]\\n"
    mode: "0644"
"""
HEALTH = """\
- name: Stand-in health check
  ansible.builtin.assert:
    that: inventory_hostname != 'm2'
    fail_msg: GPU 3 is missing after the upgrade
"""


@pytest.fixture(scope="module")
def maint_box(slurm_container):
    box = slurm_container
    box.put("/etc/slurm/gres.conf", "")
    box.configure("gpu:0")
    for node in ("m1", "m2", "m3", "m4"):
        box.sh("mkdir -p /var/lib/slurm/slurmd/%s; slurmd -N %s" % (node, node))

    def idle():
        out = box.node.run(["sinfo", "-h", "-N", "-o", "%N %T"], check=False).stdout
        states = dict(line.split() for line in out.splitlines() if line.strip())
        return all(states.get(n) == "idle" for n in ("m1", "m2", "m3", "m4"))
    wait_for("m1..m4 idle", idle, timeout=90, interval=1)
    return box


def test_rolling_maintenance_never_kills_a_job(maint_box, tmp_path):
    box = maint_box
    box.node.run(["scontrol", "update", "NodeName=m3", "State=DRAIN", "Reason=bad dimm, ticket 4711"])
    job = box.node.run(["sbatch", "--parsable", "-w", "m1", "-J", "train-llm", "-o", "/dev/null", "--wrap", "sleep 25"]
                       ).stdout.strip()
    wait_for("job %s running" % job, lambda: "RUNNING" in box.node.run(["squeue", "-h", "-j", job, "-o", "%T"]).stdout,
             timeout=60, interval=1)
    (tmp_path / "work.yml").write_text(WORK)
    (tmp_path / "health.yml").write_text(HEALTH)
    inventory = "[slurm]\nm1\nm3\nm2\nm4\n[slurm:vars]\nansible_connection=community.docker.docker\nansible_host=%s\n" \
                "ansible_become=false\nansible_python_interpreter=/usr/bin/python3\n" % box.name
    play = "- name: Maintenance\n  ansible.builtin.import_playbook: %s\n" % os.path.join(ROOT, "playbooks", "maintenance.yml")
    proc = playbook(box, tmp_path, play, {
        "mlinfra_gpu_hosts": "slurm", "maintenance_tasks": str(tmp_path / "work.yml"), "maintenance_gather_facts": False,
        "maintenance_health_tasks": str(tmp_path / "health.yml"), "maintenance_reason": "stand-in driver upgrade",
        "slurm_maintenance_who": "tester", "slurm_maintenance_poll": 2, "slurm_maintenance_timeout": 120,
        "slurm_maintenance_node_name": "{{ inventory_hostname }}"}, inventory=inventory)
    out = " ".join(proc.stdout.split())
    assert proc.returncode == 2, proc.stdout[-4000:]

    # m1: drained with who and why while the job ran, waited for, worked on with no job, resumed; the job completed
    assert "m1: drained by us: mlinfra.gpu maintenance by tester: stand-in driver upgrade" in out
    assert box.read("/var/tmp/upgraded-m1") == "jobs during the work: []\n"
    m1 = box.show("m1")
    assert (m1["state"], m1["reason"]) == ("idle", "")
    assert box.node.run(["scontrol", "show", "job", job, "-o"]).stdout.split(" JobState=")[1].split()[0] == "COMPLETED"
    # m3: drained by someone else before: worked on, still drained with its own reason
    assert "m3: drained by someone else (kept, not resumed): bad dimm, ticket 4711" in out
    assert box.read("/var/tmp/upgraded-m3") == "jobs during the work: []\n"
    m3 = box.show("m3")
    assert (m3["state"], m3["reason"]) == ("drained", "bad dimm, ticket 4711")
    # m2: health gate failed: stays drained with the failure as its reason, the run stops
    m2 = box.show("m2")
    assert (m2["state"], m2["reason"]) == (
        "drained", "mlinfra.gpu maintenance failed: Stand-in health check: GPU 3 is missing after the upgrade")
    # m4: a later batch, not touched
    m4 = box.show("m4")
    assert (m4["state"], m4["reason"]) == ("idle", "")
    assert box.node.run(["test", "-e", "/var/tmp/upgraded-m4"], check=False).returncode == 1
