"""Test-bed helpers shared by the integration tests that start real services (tests/integration/inventory:
slurmctld/slurmd/slurmrestd and moto for the inventory plugins; tests/integration/slurm_node: Slurm in a systemd
container for the slurm_gpu_node role and the maintenance playbooks; tests/integration/awx and
tests/integration/playbooks: container nodes the playbooks run against): free ports, bounded waits, processes stopped
in reverse order, where the Slurm daemons run (this machine or a container), the container test bed and its nodes, and
the rule that a missing prerequisite skips on a developer's machine but fails in CI."""
import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, timeout=60, interval=0.3):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 -- keep trying until the deadline
            last = e
        time.sleep(interval)
    raise RuntimeError("timed out after %ss waiting for %s (last: %r)" % (timeout, what, last))


class Services:
    """Processes started by a fixture; stopped in reverse order."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.procs = []

    def start(self, name, args, env=None):
        log = open(os.path.join(self.workdir, name + ".out"), "wb")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.workdir,
                                start_new_session=True)
        self.procs.append((name, proc, log))
        return proc

    def log(self, name):
        path = os.path.join(self.workdir, name + ".out")
        if not os.path.exists(path):
            return ""
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-3000:]

    def check_alive(self):
        for name, proc, _log in self.procs:
            if proc.poll() is not None:
                raise RuntimeError("%s exited with %s:\n%s" % (name, proc.returncode, self.log(name)))

    def stop(self):
        for _name, proc, log in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
            log.close()


TESTBED = os.path.join(ROOT, "tests", "containers", "testbed.sh")


class SlurmNodeHost:
    """Where the Slurm daemons run: this machine (``prefix`` empty) or a container (``docker exec NAME``).

    The work directory has the same path in both (the container bind-mounts it), so configuration paths match.
    """

    def __init__(self, prefix=(), rest_user="slurm"):
        self.prefix = list(prefix)
        self.rest_user = rest_user

    def cmd(self, args, env=None):
        if not self.prefix:
            return list(args)
        envs = []
        for key, value in (env or {}).items():
            envs += ["-e", "%s=%s" % (key, value)]
        return self.prefix[:2] + envs + self.prefix[2:] + list(args)

    def run(self, args, env=None, timeout=60, check=True):
        full_env = dict(os.environ, **(env or {})) if not self.prefix else None
        proc = subprocess.run(self.cmd(args, env), env=full_env, capture_output=True, text=True, timeout=timeout,
                              check=False)
        if check and proc.returncode != 0:
            raise RuntimeError("%s failed (rc=%s): %s %s" % (" ".join(args), proc.returncode, proc.stdout, proc.stderr))
        return proc


def as_user(user, args):
    return ["setpriv", "--reuid", user, "--regid", user, "--init-groups"] + args


def cannot_run(reason):
    """Skip on a developer's machine that lacks a prerequisite; fail in CI (CI=true), where scripts/setup.sh
    installs everything, so a missing install step cannot pass as a skip."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("cannot run in CI: " + reason)
    pytest.skip(reason)


def testbed(script, timeout):
    return subprocess.run(["bash", "-c", ". %s; %s" % (TESTBED, script)], capture_output=True, text=True, timeout=timeout,
                          check=False)


def require_testbed(version, what):
    """Skip (or fail in CI) unless the container test bed can run; build the Debian ``version`` image if needed."""
    if os.environ.get("MLINFRA_SKIP_CONTAINERS"):
        pytest.skip("MLINFRA_SKIP_CONTAINERS is set")
    if not os.path.exists(TESTBED) or not shutil.which("docker"):
        cannot_run("%s needs the container test bed (tests/containers/testbed.sh) and docker" % what)
    if os.geteuid() != 0:
        cannot_run("%s needs root (docker, bind-mounted work directory)" % what)
    proc = testbed("ensure_docker && ensure_apt_cache && ensure_images %s" % version, timeout=1800)
    if proc.returncode != 0:
        pytest.fail("container test bed is not usable: %s" % (proc.stderr[-2000:]))


@contextlib.contextmanager
def started_node(name, version, docker_args=(), keep=False):
    """A systemd node of the container test bed, for a fixture: started by the test bed's own ``testbed_run NAME
    VERSION [docker run arguments]`` (which first removes a leftover container of that name), given as its name, and
    removed afterwards, also when its start or the tests fail (``keep``: left running, and said so)."""
    try:
        proc = testbed(shlex.join(["testbed_run", name, str(version)] + list(docker_args)), timeout=300)
        assert proc.returncode == 0, "testbed_run %s %s failed: %s" % (name, version, proc.stdout[-1000:] + proc.stderr[-2000:])
        yield name
    finally:
        if keep:
            sys.stderr.write("kept container %s\n" % name)
        else:
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=120, check=False)
