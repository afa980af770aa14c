"""Session fixtures of the packaging tests: the collection built once with ansible-galaxy, as Galaxy gets it."""
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)


def galaxy_version():
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        return yaml.safe_load(handle)["version"]


def run(args, timeout=600, **kwargs):
    """Runs args (a list; a bare tool name is taken from this Python's bin directory) and returns the process."""
    if not os.path.isabs(args[0]) and os.path.exists(os.path.join(BIN, args[0])):
        args = [os.path.join(BIN, args[0])] + list(args[1:])
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    env.update(kwargs.pop("env", {}))
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)


@pytest.fixture(scope="session")
def tarball(tmp_path_factory):
    """The collection artifact, built from the checkout into a temporary directory."""
    out = tmp_path_factory.mktemp("dist")
    proc = run(["ansible-galaxy", "collection", "build", "--force", "--output-path", str(out), ROOT])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    path = out / ("mlinfra-gpu-%s.tar.gz" % galaxy_version())
    assert path.is_file(), proc.stdout
    return path
