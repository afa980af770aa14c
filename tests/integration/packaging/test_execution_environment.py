"""The execution environment: ansible-builder v3 makes a build context from execution-environment.yml, and its
introspection of the installed collection finds the Python and system requirements (meta/execution-environment.yml).

The image itself is not built here (its base image comes from a registry)."""
import os
import shutil

import pytest
import yaml

from conftest import ROOT, galaxy_version, run

pytestmark = pytest.mark.integration


def test_the_definition_carries_the_collection_tarball_of_galaxy_yml_version():
    with open(os.path.join(ROOT, "execution-environment.yml")) as handle:
        ee = yaml.safe_load(handle)
    name = "mlinfra-gpu-%s.tar.gz" % galaxy_version()
    assert ee["additional_build_files"] == [{"src": ".build/dist/" + name, "dest": "collections"}]
    assert ee["dependencies"]["galaxy"]["collections"][0] == {"name": "collections/" + name, "type": "file"}


def test_the_collection_dependencies_of_the_definition_are_galaxy_yml_s():
    with open(os.path.join(ROOT, "execution-environment.yml")) as handle:
        ee = yaml.safe_load(handle)
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        galaxy = yaml.safe_load(handle)
    others = {c["name"]: c["version"] for c in ee["dependencies"]["galaxy"]["collections"][1:]}
    assert others == galaxy["dependencies"]


def test_ansible_builder_create_makes_the_build_context(tmp_path, tarball):
    # the definition next to a .build/dist holding the freshly built tarball, as scripts/packaging.sh lays it out
    shutil.copy(os.path.join(ROOT, "execution-environment.yml"), str(tmp_path))
    (tmp_path / ".build" / "dist").mkdir(parents=True)
    shutil.copy(str(tarball), str(tmp_path / ".build" / "dist"))
    proc = run(["ansible-builder", "create", "-f", "execution-environment.yml", "-c", "context",
                "--output-filename", "Containerfile"], cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    context = tmp_path / "context"
    assert (context / "_build" / "collections" / tarball.name).read_bytes() == tarball.read_bytes()
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert requirements["collections"][0] == {"name": "collections/" + tarball.name, "type": "file"}
    containerfile = (context / "Containerfile").read_text()
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core==2.19.14 ansible-runner==2.4.3"' in containerfile.splitlines()
    # the builder stage introspects the installed collections (this collection's requirements included)
    assert "RUN $PYCMD /output/scripts/introspect.py introspect --write-bindep=/tmp/src/bindep.txt " \
           "--write-pip=/tmp/src/requirements.txt" in containerfile.splitlines()


def test_ansible_builder_introspect_sees_the_collection_requirements(tmp_path, tarball):
    proc = run(["ansible-galaxy", "collection", "install", "--force", "--no-deps", "-p", str(tmp_path), str(tarball)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run(["ansible-builder", "introspect", "--sanitize", str(tmp_path)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = yaml.safe_load(proc.stdout)
    assert found == {
        "python": ["boto3>=1.35.16  # from collection mlinfra.gpu", "botocore>=1.35.16  # from collection mlinfra.gpu"],
        "system": ["openssh-clients [platform:rpm]  # from collection mlinfra.gpu",
                   "openssh-client [platform:dpkg]  # from collection mlinfra.gpu"],
    }
