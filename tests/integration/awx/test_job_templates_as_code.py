"""playbooks/awx/configure.yml (AWX objects with awx.awx): there is no AWX server here, so its syntax is checked and
its --check run is shown to fail cleanly: first on a missing machine credential (before the controller is asked
anything), then, with one, on the first controller call, naming the controller URL it could not reach."""
import json
import os
import socket
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PLAYBOOK = os.path.join(ROOT, "playbooks", "awx", "configure.yml")
SENTINEL = ("mlinfra.gpu awx: set mlinfra_awx_machine_credential to the name of the Machine credential (SSH) the jobs "
            "reach the nodes with; it must exist in the controller (this playbook never creates credentials).")

pytestmark = pytest.mark.integration


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the socket is: nothing listens there


def playbook(*args, env=None):
    environ = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_NOCOLOR="1",
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
    for name in list(environ):
        if name.startswith(("CONTROLLER_", "TOWER_", "AWX_")):
            del environ[name]
    environ.update(env or {})
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", PLAYBOOK,
           "-e", "ansible_python_interpreter=%s" % sys.executable] + list(args)
    return subprocess.run(cmd, env=environ, capture_output=True, text=True, timeout=300, check=False)


def failed_task(report):
    tasks = report["plays"][0]["tasks"]
    return [(t["task"]["name"], t["hosts"]["localhost"]) for t in tasks if t["hosts"]["localhost"].get("failed")]


def test_syntax():
    proc = playbook("--syntax-check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_mode_refuses_a_missing_machine_credential_first():
    proc = playbook("--check")
    assert proc.returncode == 2, proc.stderr
    [(task, result)] = failed_task(json.loads(proc.stdout))
    assert (task, result["msg"]) == ("Check the variables before the controller is asked anything", SENTINEL)


def test_check_mode_without_a_controller_fails_on_the_first_controller_call():
    url = "https://127.0.0.1:%d" % closed_port()
    proc = playbook("--check", "-e", "mlinfra_awx_machine_credential=gpu-nodes-ssh", env={"CONTROLLER_HOST": url})
    assert proc.returncode == 2, proc.stderr
    report = json.loads(proc.stdout)
    [(task, result)] = failed_task(report)
    assert task == "Execution environment with this collection"
    assert result["msg"].startswith("There was an unknown error when trying to connect to %s/api/v2/" % url)
    assert report["stats"]["localhost"]["changed"] == 0
