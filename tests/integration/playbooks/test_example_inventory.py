"""inventories/example/: Ansible reads it, and every variable it sets for a role of the collection is one that the
role's argument spec accepts, with a value of the right type and choice (the check the role itself runs first).

The roles of issues 11, 12 and 16 (storage_mounts, ml_frameworks, slurm_gpu_node) are checked when their
argument specs are there; their variable names are the fixed ones of those issues.
"""
import json
import os
import subprocess
import sys

import pytest
import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.mlinfra.gpu.plugins.module_utils import _site_stages

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
EXAMPLE = os.path.join(ROOT, "inventories", "example")
ROLES = ("gpu_node_base", "nvidia_driver", "cuda_toolkit", "container_runtime", "storage_mounts", "ml_frameworks",
         "slurm_gpu_node")
GRAPH = """@all:
  |--@ungrouped:
  |--@cluster:
  |  |--@gpu:
  |  |  |--@training:
  |  |  |  |--train01.example.internal
  |  |  |  |--train02.example.internal
  |  |  |  |--train03.example.internal
  |  |  |  |--train04.example.internal
  |  |  |--@inference:
  |  |  |  |--infer01.example.internal
  |  |  |  |--infer02.example.internal
  |  |--@login:
  |  |  |--login01.example.internal
  |  |  |--login02.example.internal
"""
# GPU facts as mlinfra.gpu.gpu_facts reports them on each kind of node (abridged to what the stages read)
GPUS = {"train": {"count": 8, "vendors": ["nvidia"]}, "infer": {"count": 2, "vendors": ["nvidia"]},
        "login": {"count": 0, "vendors": []}}


def _inventory(*args):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_CONFIG", None)  # the checkout's ansible.cfg names its own inventory
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "-i", EXAMPLE] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, env=env, check=False,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def hostvars():
    return json.loads(_inventory("--list"))["_meta"]["hostvars"]


def test_the_graph():
    assert _inventory("--graph") == GRAPH


def _spec(role):
    path = os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return yaml.safe_load(handle)["argument_specs"]["main"]["options"]


@pytest.mark.parametrize("host", ["train01.example.internal", "infer01.example.internal", "login01.example.internal"])
@pytest.mark.parametrize("role", ROLES)
def test_every_role_variable_is_accepted_by_the_role(hostvars, host, role):
    spec = _spec(role)
    if spec is None:
        pytest.skip("role %s is not in this checkout" % role)
    given = dict((k, v) for k, v in hostvars[host].items() if k.startswith(role + "_"))
    unknown = sorted(set(given) - set(spec))
    assert unknown == []
    result = ArgumentSpecValidator(spec).validate(given)
    assert result.error_messages == []


def test_each_kind_of_node_sets_the_roles_it_needs(hostvars):
    seen = dict((kind, sorted(set(k.split("_")[0] + "_" + k.split("_")[1] for k in hostvars[host]
                                  if k.startswith(tuple(r + "_" for r in ROLES)))))
                for kind, host in (("train", "train01.example.internal"), ("login", "login01.example.internal")))
    assert seen == {
        "train": ["container_runtime", "cuda_toolkit", "gpu_node", "ml_frameworks", "nvidia_driver", "slurm_gpu",
                  "storage_mounts"],
        "login": ["gpu_node", "ml_frameworks", "storage_mounts"]}


@pytest.mark.parametrize("host, kind, expected", [
    ("train01.example.internal", "train", ["base", "gpu_facts", "nvidia_driver", "cuda_toolkit", "container_runtime",
                                           "summary"]),
    ("infer02.example.internal", "infer", ["base", "gpu_facts", "nvidia_driver", "container_runtime", "summary"]),
    ("login02.example.internal", "login", ["base", "gpu_facts", "summary"]),
])
def test_the_stages_each_node_runs(hostvars, host, kind, expected):
    switches = dict((stage, hostvars[host]["mlinfra_gpu_" + stage]) for stage in (
        "base", "gpu_facts", "nvidia_driver", "cuda_toolkit", "container_runtime", "summary"))
    stages = _site_stages.site_stages(switches, GPUS[kind])
    assert [stage for stage, run in stages.items() if run] == expected
