"""The rules of the node acceptance tests' conftest (tests/node/conftest.py) that need no node: which roles a host
got, which vars files a role loads, the variables' precedence, the per-host summary line."""

import importlib.util
import os
import types

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_SPEC = importlib.util.spec_from_file_location("node_conftest", os.path.join(ROOT, "tests", "node", "conftest.py"))
node_conftest = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(node_conftest)

DEBIAN12 = {"distribution": "Debian", "os_family": "Debian", "distribution_major_version": "12"}
UBUNTU22 = {"distribution": "Ubuntu", "os_family": "Debian", "distribution_major_version": "22"}
ROCKY9 = {"distribution": "Rocky", "os_family": "RedHat", "distribution_major_version": "9"}


def no_gpu():
    return False


def nvidia_gpu():
    return True


def unused_gpu_facts():
    raise AssertionError("the GPU facts were gathered although mlinfra_gpu_roles says which roles the host got")


def test_listed_roles_are_the_roles():
    roles, why = node_conftest.applied_roles({"mlinfra_gpu_roles": ["container_runtime"],
                                              "mlinfra_gpu_cuda_toolkit": True}, unused_gpu_facts)
    assert (roles, why) == ({"container_runtime"}, "mlinfra_gpu_roles")


def test_site_rules_without_a_list_base_only():
    assert node_conftest.applied_roles({}, no_gpu)[0] == {"gpu_node_base"}


def test_site_rules_driver_where_an_nvidia_gpu_is_seen():
    assert node_conftest.applied_roles({}, nvidia_gpu)[0] == {"gpu_node_base", "nvidia_driver"}


def test_site_rules_switches_turn_roles_on():
    inventory = {"mlinfra_gpu_nvidia_driver": "yes", "mlinfra_gpu_cuda_toolkit": True, "mlinfra_gpu_hosts": "gpu",
                 "mlinfra_gpu_container_runtime": False}
    assert node_conftest.applied_roles(inventory, no_gpu)[0] == {"gpu_node_base", "nvidia_driver", "cuda_toolkit"}


@pytest.mark.parametrize("listed", ["gpu_node_base", ["gpu_node_base", 3]])
def test_a_list_that_is_no_list_of_names_is_refused(listed):
    with pytest.raises(pytest.UsageError, match="^mlinfra_gpu_roles must be a list of role names"):
        node_conftest.applied_roles({"mlinfra_gpu_roles": listed}, unused_gpu_facts)


def test_an_unknown_role_is_refused_by_name():
    with pytest.raises(pytest.UsageError) as error:
        node_conftest.applied_roles({"mlinfra_gpu_roles": ["gpu_node_base", "no_such_role"]}, unused_gpu_facts)
    assert str(error.value) == "mlinfra_gpu_roles names roles this collection does not have: no_such_role"


@pytest.mark.parametrize("role, facts, files", [
    ("nvidia_driver", DEBIAN12, ["Debian.yml", "Debian_12.yml"]),
    ("nvidia_driver", UBUNTU22, ["Ubuntu.yml"]),
    ("nvidia_driver", ROCKY9, ["RedHat.yml"]),
    ("gpu_node_base", UBUNTU22, ["Ubuntu.yml"]),
    ("cuda_toolkit", UBUNTU22, ["Ubuntu.yml", "Ubuntu_22.yml"]),
    ("container_runtime", DEBIAN12, []),
])
def test_platform_files_in_the_roles_order(role, facts, files):
    assert [path.name for path in node_conftest.platform_files(role, facts)] == files


def test_precedence_defaults_inventory_role_vars():
    inventory = {"nvidia_driver_source": "nvidia", "nvidia_driver__distro_branch": "999", "cuda_toolkit_versions": ["12.4"]}
    merged = node_conftest.merge_role_vars("nvidia_driver", inventory, DEBIAN12)
    picked = {key: merged[key] for key in ("nvidia_driver_source", "nvidia_driver_hold", "nvidia_driver__distro_branch",
                                           "nvidia_driver__apt_pin_file")}
    assert (picked, "cuda_toolkit_versions" in merged) == ({
        "nvidia_driver_source": "nvidia",  # inventory over defaults
        "nvidia_driver_hold": True,  # defaults
        "nvidia_driver__distro_branch": "535",  # the platform file over the inventory
        "nvidia_driver__apt_pin_file": "/etc/apt/preferences.d/mlinfra-nvidia-driver.pref",  # vars/main.yml
    }, False)


def report(nodeid, when, outcome, host="node-a"):
    return types.SimpleNamespace(nodeid=nodeid, when=when, outcome=outcome, passed=outcome == "passed",
                                 skipped=outcome == "skipped", failed=outcome == "failed",
                                 user_properties=[("host", host)] if host else [])


def test_summary_one_line_per_host():
    summary = node_conftest.Summary()
    for item in [
        report("tests/node/test_b.py::test_two[ansible://node-a]", "setup", "passed"),
        report("tests/node/test_b.py::test_two[ansible://node-a]", "call", "failed"),
        report("tests/node/test_a.py::test_one[ansible://node-a]", "call", "failed"),
        report("tests/node/test_a.py::test_three[ansible://node-a]", "setup", "failed"),
        report("tests/node/test_a.py::test_four[ansible://node-a]", "setup", "skipped"),
        report("tests/node/test_c.py::test_five[nvidia-smi-ansible://node-a]", "call", "failed"),
        report("tests/node/test_a.py::test_one[ansible://node-b]", "call", "passed", host="node-b"),
        report("tests/node/test_a.py::test_one[ansible://node-b]", "teardown", "passed", host="node-b"),
        report("tests/unit/test_x.py::test_y", "call", "failed", host=None),
    ]:
        summary.add(item)
    assert list(summary.lines()) == [
        "node node-a: FAIL: 3 failed, 1 error, 1 skipped; failed: test_a.py::test_one, test_a.py::test_three, "
        "test_b.py::test_two, test_c.py::test_five[nvidia-smi]",
        "node node-b: OK: 1 passed",
    ]
