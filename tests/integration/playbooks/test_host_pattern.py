"""The collection's playbooks against an inventory: the host pattern guard and where fleet_report writes.

The playbooks run as `mlinfra.gpu.<name>` from the collection link in .build/collections, in a temporary working
directory, with the JSON callback so that each test reads one exact value. Nothing here changes the machine:
the guard fails (or passes) on the controller before any host is touched, and fleet_report only reads GPU facts.
"""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
NO_GPU_GROUP = """
all:
  children:
    gpu_nodes:
      hosts:
        node1: {ansible_connection: local}
"""
GPU_GROUP = """
all:
  children:
    gpu:
      hosts:
        node1: {ansible_connection: local}
"""
SENTINEL = ("mlinfra.gpu: the host pattern 'gpu' matches no host in the inventory. Its groups: gpu_nodes. "
            "Set mlinfra_gpu_hosts to a pattern that matches (the inventory plugins make gpu and gpu_<model>), "
            "or mlinfra_gpu_allow_empty=true when no host is fine.")


def run_playbook(tmp_path, name, inventory, *extra):
    (tmp_path / "hosts.yml").write_text(inventory)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_CONFIG", None)  # the checkout's ansible.cfg names its own inventory; this test brings one
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "hosts.yml",
           "mlinfra.gpu." + name, "-e", "ansible_python_interpreter=%s" % sys.executable] + list(extra)
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc, json.loads(proc.stdout)


def task_result(report, play, task, host):
    return report["plays"][play]["tasks"][task]["hosts"][host]


@pytest.mark.integration
@pytest.mark.parametrize("name", ["site", "driver_upgrade", "fleet_report"])
def test_a_pattern_that_matches_no_host_fails_the_run(tmp_path, name):
    proc, report = run_playbook(tmp_path, name, NO_GPU_GROUP)
    assert proc.returncode == 2, proc.stderr
    assert task_result(report, 0, 0, "localhost")["msg"] == SENTINEL
    assert sorted(report["stats"]) == ["localhost"]


@pytest.mark.integration
@pytest.mark.parametrize("name", ["site", "driver_upgrade"])
def test_an_empty_pattern_is_fine_when_allowed(tmp_path, name):
    proc, report = run_playbook(tmp_path, name, NO_GPU_GROUP, "-e", "mlinfra_gpu_allow_empty=true")
    assert proc.returncode == 0, proc.stderr
    assert [len(p["tasks"]) for p in report["plays"]] == [1, 0]
    assert report["stats"]["localhost"]["failures"] == 0


@pytest.mark.integration
def test_fleet_report_writes_into_the_working_directory_by_default(tmp_path):
    proc, report = run_playbook(tmp_path, "fleet_report", GPU_GROUP)
    assert proc.returncode == 0, proc.stderr
    written = json.loads((tmp_path / "mlinfra-fleet-report" / "fleet.json").read_text())
    assert [row["host"] for row in written["hosts"]] == ["node1"]
    summary = report["plays"][2]["tasks"][-1]["hosts"]["localhost"]["msg"]
    assert (summary["report"], summary["html"]) == (str(tmp_path / "mlinfra-fleet-report" / "fleet.md"),
                                                    str(tmp_path / "mlinfra-fleet-report" / "fleet.html"))
    assert sorted(os.listdir(str(tmp_path / "mlinfra-fleet-report"))) == ["fleet.html", "fleet.json", "fleet.md"]


@pytest.mark.integration
def test_fleet_report_in_check_mode_writes_nothing(tmp_path):
    proc, report = run_playbook(tmp_path, "fleet_report", GPU_GROUP, "--check")
    assert proc.returncode == 0, proc.stderr
    assert report["stats"]["localhost"]["failures"] == 0
    assert not (tmp_path / "mlinfra-fleet-report").exists()


@pytest.mark.integration
def test_fleet_report_refuses_an_unknown_source(tmp_path):
    proc, report = run_playbook(tmp_path, "fleet_report", GPU_GROUP, "-e", '{"fleet_report_sources": {"envs": "x"}}')
    assert proc.returncode == 2, proc.stderr
    assert task_result(report, 2, 0, "localhost")["msg"] == (
        "fleet_report: unknown source 'envs'; known: container_runtime, cuda_toolkit, frameworks, health, "
        "nvidia_driver, reboot, simulated, storage")
    assert not (tmp_path / "mlinfra-fleet-report").exists()
