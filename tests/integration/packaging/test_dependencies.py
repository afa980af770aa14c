"""The collection dependencies in galaxy.yml are what the content uses, and the installed ones (this venv's: the
newest tested, or scripts/floor.sh's: the oldest) are inside the declared range and have every plugin used."""
import json
import os
import re

import pytest
import yaml
from ansible.module_utils.compat.version import LooseVersion

from conftest import ROOT, run

pytestmark = pytest.mark.integration

# Fully qualified names in the shipped content (roles and playbooks; playbooks/awx configures a controller and
# needs awx.awx, which its header documents: it is not a dependency of the content)
# where a plugin is named: a task's module key (alone on its line, unlike a sysctl key with its value), a filter or
# test, a lookup, a role or connection by name
FQCN = re.compile(r"(?:^\s*(?:-\s+)?(?=[a-z_0-9]+\.[a-z_0-9]+\.[a-z_0-9]+:\s*$)|\|\s*|\bis\s+(?:not\s+)?"
                  r"|(?:lookup|query)\(\s*['\"]|\b(?:name|connection):\s*)"
                  r"([a-z_0-9]+)\.([a-z_0-9]+)\.([a-z_0-9]+)\b", re.MULTILINE)


def used_plugins():
    used = {}
    for top in ("roles", "playbooks"):
        for base, dirs, files in os.walk(os.path.join(ROOT, top)):
            dirs[:] = [d for d in dirs if os.path.join(base, d) != os.path.join(ROOT, "playbooks", "awx")]
            for name in files:
                if not name.endswith((".yml", ".yaml", ".j2")):
                    continue
                with open(os.path.join(base, name)) as handle:
                    for match in FQCN.finditer(handle.read()):
                        collection = "%s.%s" % match.group(1, 2)
                        if collection not in ("ansible.builtin", "mlinfra.gpu"):
                            used.setdefault(collection, set()).add(match.group(3))
    return used


def declared():
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        return yaml.safe_load(handle)["dependencies"]


def test_galaxy_yml_names_exactly_the_collections_the_content_uses():
    assert sorted(used_plugins()) == ["ansible.posix", "community.general"]
    assert sorted(declared()) == ["ansible.posix", "community.general"]


def installed_version(collection):
    proc = run(["ansible-galaxy", "collection", "list", collection, "--format", "json"])
    assert proc.returncode == 0, proc.stderr
    versions = [info["version"] for path in json.loads(proc.stdout).values() for info in path.values()]
    assert len(versions) >= 1, proc.stdout
    return versions[0]  # the first one on the search path is the one ansible loads


def in_range(version, spec):
    ops = {">=": lambda a, b: a >= b, "<": lambda a, b: a < b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b}
    for part in spec.split(","):
        op, bound = re.match(r"\s*(>=|<=|<|>)\s*(\S+)", part).groups()
        if not ops[op](LooseVersion(version), LooseVersion(bound)):
            return False
    return True


def test_the_installed_community_general_is_inside_the_declared_range():
    spec = declared()["community.general"]
    assert in_range(installed_version("community.general"), spec)
    # the range check itself: the ends are where the declaration says
    assert [in_range(v, spec) for v in ("8.2.0", "8.3.0", "11.4.2", "12.0.0")] == [False, True, True, False]


def test_the_installed_ansible_posix_is_inside_the_declared_range():
    spec = declared()["ansible.posix"]
    assert in_range(installed_version("ansible.posix"), spec)
    assert [in_range(v, spec) for v in ("1.5.2", "1.5.4", "2.1.0", "3.0.0")] == [False, True, True, False]


@pytest.mark.parametrize("collection", ["community.general", "ansible.posix"])
def test_every_plugin_the_content_uses_is_there(collection):
    found = set()
    for kind in ("module", "filter"):
        proc = run(["ansible-doc", "-t", kind, "-l", collection, "--json"])
        assert proc.returncode == 0, proc.stderr
        found.update(name.split(".")[-1] for name in json.loads(proc.stdout))
    assert sorted(used_plugins()[collection] - found) == []
