"""mlinfra.gpu.slurm_gpu_node: gres.conf holds the node's GPUs in the role's block, cgroup.conf constrains devices,
slurmd is enabled and running, and the controller's Gres= for the node fits the node's GPUs.

What the node should have is the role's own decision: the read-only module mlinfra.gpu.slurm_gres_plan, run on the
host with the arguments the role passes (roles/slurm_gpu_node/tasks/validate.yml). The controller's view of the node
is read with mlinfra.gpu.slurm_node (read only, no wait: slurmd registered when the role ran) and judged by the
function behind the role's own check (_slurm_gres.compare).
"""

import difflib
import re

import pytest
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.mlinfra.gpu.plugins.module_utils import _slurm_gres

ROLE = "slurm_gpu_node"
# the plan's arguments, handed to the module as templates over extra_vars (a dict cannot travel in key=value text)
PLAN_ARGS = ("gpu_facts={{ tests_node__plan.gpu_facts }} node_name={{ tests_node__plan.node_name }} "
             "autodetect={{ tests_node__plan.autodetect }} sysfs_root={{ tests_node__plan.sysfs_root }} "
             "proc_root={{ tests_node__plan.proc_root }} nvidia_smi_path={{ tests_node__plan.nvidia_smi_path or omit }}")
# the role's cgroup.conf line (roles/slurm_gpu_node/tasks/configure.yml, its lineinfile regexp and line)
CONSTRAIN = re.compile(r"^\s*ConstrainDevices\s*=")
CONSTRAIN_LINE = "ConstrainDevices=yes"


def role_block(text, marker):
    """The lines between the role's BEGIN and END markers (blockinfile's), or a string saying what is wrong."""
    lines = text.splitlines()
    begin, end = marker.replace("{mark}", "BEGIN"), marker.replace("{mark}", "END")
    counts = (lines.count(begin), lines.count(end))
    if counts != (1, 1):
        return "%d BEGIN and %d END markers (expected one of each)" % counts
    first, last = lines.index(begin), lines.index(end)
    if last < first:
        return "the END marker comes before the BEGIN marker"
    return lines[first + 1:last]


def constrain_lines(text):
    """cgroup.conf's ConstrainDevices lines (those the role's lineinfile regexp matches)."""
    return [line for line in text.splitlines() if CONSTRAIN.match(line)]


@pytest.fixture(scope="module")
def plan(node, role_vars):
    """The role's plan for the host: slurm_gres_plan with the role's arguments and GPU facts."""
    args = {
        "gpu_facts": node.gpu_facts(role_vars["slurm_gpu_node_gpu_facts"]),
        "node_name": role_vars["slurm_gpu_node_name"],
        "autodetect": role_vars["slurm_gpu_node_autodetect"],
        "sysfs_root": role_vars["slurm_gpu_node_sysfs_root"],
        "proc_root": role_vars["slurm_gpu_node_proc_root"],
        "nvidia_smi_path": role_vars["slurm_gpu_node_nvidia_smi_path"],
    }
    return node.ansible("mlinfra.gpu.slurm_gres_plan", PLAN_ARGS, check=True, extra_vars={"tests_node__plan": args})


@pytest.fixture(scope="module")
def written(node, role_vars, plan):
    """The plan, on hosts where the role writes the node's files (a GPU, not config-less)."""
    if plan["gpus"] == 0:
        pytest.skip("%s: no NVIDIA GPU in the role's plan: the role writes nothing" % node.name)
    if boolean(role_vars["slurm_gpu_node_configless"], strict=False):
        pytest.skip("%s: slurm_gpu_node_configless is true: the role writes nothing on the node" % node.name)
    return plan


def read(node, path):
    found = node.host.file(path)
    return found.content_string if found.exists else None


def test_gres_conf_block(node, role_vars, written):
    """gres.conf's block between the role's markers is exactly the plan's gres.conf lines."""
    path = "%s/gres.conf" % role_vars["slurm_gpu_node_conf_dir"]
    text = read(node, path)
    found = "does not exist" if text is None else role_block(text, role_vars["slurm_gpu_node__marker"])
    detail = found if isinstance(found, str) else "\n".join(
        difflib.unified_diff(found, written["gres_conf"], "on the host", "the role's plan", lineterm=""))
    node.check(found == written["gres_conf"], "gres.conf block %s" % path, detail)


def test_cgroup_constrains_devices(node, role_vars, written):
    """cgroup.conf has exactly one ConstrainDevices line, ConstrainDevices=yes."""
    path = "%s/cgroup.conf" % role_vars["slurm_gpu_node_conf_dir"]
    text = read(node, path)
    found = "does not exist" if text is None else constrain_lines(text)
    node.check(found == [CONSTRAIN_LINE], "cgroup.conf ConstrainDevices %s" % path,
               "found %s, expected exactly [%r]" % (found, CONSTRAIN_LINE))


def test_slurmd_running(node, role_vars, written):
    """The slurmd service (slurm_gpu_node_service) is enabled and running."""
    name = role_vars["slurm_gpu_node_service"]
    service = node.host.service(name)
    found = (service.is_enabled, service.is_running)
    node.check(found == (True, True), "slurmd service %s" % name, "enabled %s, running %s (expected both)" % found)


def test_controller_gres(node, role_vars, written):
    """The controller's Gres= for the node fits the node's and the controller has not drained the node for its GRES:
    the node as `scontrol show node` gives it (mlinfra.gpu.slurm_node, read only), judged by the function the role's
    check uses (_slurm_gres.compare)."""
    if not boolean(role_vars["slurm_gpu_node_check_controller"], strict=False):
        pytest.skip("%s: slurm_gpu_node_check_controller is false" % node.name)
    result = node.ansible("mlinfra.gpu.slurm_node", "name={{ tests_node__name }}", check=True,
                          extra_vars={"tests_node__name": role_vars["slurm_gpu_node_name"]})
    seen = result["node"]
    problem = _slurm_gres.compare(seen["name"], seen["gres"], written["gres"], seen["reason"])
    node.check(problem is None, "controller Gres=", problem)
