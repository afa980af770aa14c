"""The site and fleet report playbooks run through ansible-runner, the engine AWX runs every job with, against a
container node of the test bed (Debian 12, systemd, started with the test bed's own `testbed_run`): the job events
AWX shows (task starts, per-host results, the stats) and the artifacts it keeps are what the playbooks promise.

Kept cheap for CI: site.yml runs as AWX's "check" job type (ansible-playbook --check, on the fresh node) with the base
role's slow parts turned off by its own variables (no package sources, kernel headers, build tools or time sync), and
the driver and CUDA stages skip themselves on a node without GPUs (the default). Measured on the shared 2-core
machine: the check job about 90 s; the same job for real about 220 s (apt in the node), too much for every CI run.
The fleet report runs for real (it only reads facts and writes the report on the controller)."""
import json
import os
import subprocess
import sys

import ansible_runner
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from slurm_testbed import started_node  # noqa: E402  pylint: disable=wrong-import-position

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)
NODE = "mlinfra-awx-node"
IMAGE = "mlinfra/debian:12-systemd"

pytestmark = pytest.mark.integration


def _docker(*args):
    return subprocess.run(["docker"] + list(args), capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def node():
    assert _docker("image", "inspect", IMAGE).returncode == 0, "test bed image %s missing: run scripts/setup.sh" % IMAGE
    with started_node(NODE, 12) as name:
        yield name


def inventory():
    return {
        "all": {
            "hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}},
            "children": {"gpu": {"hosts": {NODE: {
                "ansible_connection": "community.docker.docker",
                "ansible_python_interpreter": "/usr/bin/python3",
                "ansible_become": False,
            }}}},
        }
    }


def run_job(tmp_path, playbook, extravars, cmdline=None):
    """One job as AWX runs it: a private data directory with the inventory, the project (this checkout), the
    collections on the path, and ansible-runner's event callback."""
    data = tmp_path / "private"
    (data / "inventory").mkdir(parents=True)
    (data / "inventory" / "hosts.json").write_text(json.dumps(inventory()))
    runner = ansible_runner.run(
        private_data_dir=str(data), project_dir=ROOT, playbook=playbook, inventory=str(data / "inventory"),
        extravars=extravars, ident="job", quiet=True, cmdline=cmdline,
        envvars={"ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".build", "collections"), "ANSIBLE_NOCOLOR": "1",
                 "PATH": BIN + os.pathsep + os.environ.get("PATH", "")},
        timeout=900)
    return runner, list(runner.events), data / "artifacts" / "job"


def task_starts(events):
    return [e["event_data"]["task"] for e in events if e["event"] == "playbook_on_task_start"]


def results(events, kind, task):
    return [e["event_data"] for e in events if e["event"] == kind and e["event_data"].get("task") == task]


def check_artifacts(artifacts, events, playbook, check):
    assert (artifacts / "status").read_text() == "successful"
    assert (artifacts / "rc").read_text() == "0"
    assert len(os.listdir(str(artifacts / "job_events"))) == len(events)
    command = json.loads((artifacts / "command").read_text())["command"]
    assert (command[0], command[-1], "--check" in command) == ("ansible-playbook", playbook, check)
    assert "PLAY RECAP" in (artifacts / "stdout").read_text()


SITE_VARS = {
    "gpu_node_base_manage_sources": False,
    "gpu_node_base_kernel_headers": False,
    "gpu_node_base_build_tools": False,
    "gpu_node_base_time_sync": False,
}


def test_site_through_ansible_runner(node, tmp_path):
    runner, events, artifacts = run_job(tmp_path, "playbooks/site.yml", SITE_VARS, cmdline="--check")
    assert (runner.status, runner.rc) == ("successful", 0), (artifacts / "stdout").read_text()
    starts = task_starts(events)
    playbook_tasks = ["Fail when the host pattern matches no host", "Preflight the node",
                      "Discover the GPUs (PCI, nvidia-smi, amd-smi)", "Install the NVIDIA driver that fits the GPUs",
                      "Install the CUDA toolkit", "Summarise what the node has"]
    assert [t for t in starts if t in playbook_tasks] == playbook_tasks
    # the base role ran inside the job (its tasks are events of their own)
    assert len(starts) > len(playbook_tasks) + 10
    facts = results(events, "runner_on_ok", "Discover the GPUs (PCI, nvidia-smi, amd-smi)")
    assert [r["host"] for r in facts] == [NODE]
    assert facts[0]["res"]["ansible_facts"]["gpu"]["count"] == 0
    assert [r["host"] for r in results(events, "runner_on_skipped", "Install the NVIDIA driver that fits the GPUs")] == [NODE]
    summary = results(events, "runner_on_ok", "Summarise what the node has")
    assert summary[0]["res"]["msg"]["nvidia_driver"] == "not installed: no NVIDIA GPU seen, or mlinfra_gpu_nvidia_driver false"
    stats = [e["event_data"] for e in events if e["event"] == "playbook_on_stats"]
    assert len(stats) == 1
    assert (stats[0]["failures"], stats[0]["dark"]) == ({}, {})
    assert sorted(stats[0]["ok"]) == ["localhost", NODE]
    # a fresh node: the check job says the base tools would be installed
    assert sorted(stats[0]["changed"]) == [NODE]
    check_artifacts(artifacts, events, "playbooks/site.yml", True)


def test_fleet_report_through_ansible_runner(node, tmp_path):
    report = tmp_path / "report"
    runner, events, artifacts = run_job(tmp_path, "playbooks/fleet_report.yml", {"fleet_report_dir": str(report)})
    assert (runner.status, runner.rc) == ("successful", 0), (artifacts / "stdout").read_text()
    assert task_starts(events) == [
        "Fail when the host pattern matches no host", "Discover the GPUs", "Build the report from the hosts' variables",
        "Create the report directory", "Write the report as JSON", "Write the report as Markdown",
        "Write the report as HTML", "Show the summary"]
    assert [r["host"] for r in results(events, "runner_on_ok", "Discover the GPUs")] == [NODE]
    summary = results(events, "runner_on_ok", "Show the summary")[0]["res"]["msg"]
    assert summary == {"hosts": 1, "gpus": 0, "drivers": [], "hosts_drifting": 0, "unhealthy_gpus": 0,
                       "reboots_pending": 0, "report": str(report / "fleet.md"), "html": str(report / "fleet.html")}
    written = json.loads((report / "fleet.json").read_text())["hosts"]
    assert [(r["host"], r["gpu_count"], r["models"], r["driver"], r["cuda"], r["kernel_module"], r["driver_loaded"],
             r["nvswitch_count"]) for r in written] == [(NODE, 0, [], None, None, None, False, 0)]
    stats = [e["event_data"] for e in events if e["event"] == "playbook_on_stats"]
    assert (stats[0]["failures"], sorted(stats[0]["changed"])) == ({}, ["localhost"])
    check_artifacts(artifacts, events, "playbooks/fleet_report.yml", False)
