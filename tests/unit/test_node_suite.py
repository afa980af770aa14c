"""The rules of the node acceptance tests' conftest (tests/node/conftest.py) that need no node: which roles a host
got, which vars files a role loads, the variables' precedence, the per-host summary line."""

import importlib.util
import os
import types

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _site_stages

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_SPEC = importlib.util.spec_from_file_location("node_conftest", os.path.join(ROOT, "tests", "node", "conftest.py"))
node_conftest = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(node_conftest)

DEBIAN12 = {"distribution": "Debian", "os_family": "Debian", "distribution_major_version": "12"}
UBUNTU22 = {"distribution": "Ubuntu", "os_family": "Debian", "distribution_major_version": "22"}
ROCKY9 = {"distribution": "Rocky", "os_family": "RedHat", "distribution_major_version": "9"}


NO_GPU = {"count": 0, "vendors": []}
H100 = {"count": 8, "vendors": ["nvidia"]}
# site.yml's switches as a host without any mlinfra_gpu_<stage> variable renders them (its defaults)
SITE_DEFAULTS = {"base": True, "gpu_facts": True, "nvidia_driver": "auto", "cuda_toolkit": False,
                 "container_runtime": "auto", "storage_mounts": True, "ml_frameworks": True, "slurm_gpu_node": False,
                 "summary": True}


def stages(gpu, **switches):
    """The site_stages callable of a host with these switches set and these GPU facts."""
    return lambda: _site_stages.site_stages(dict(SITE_DEFAULTS, **switches), gpu)


def unused_site_stages():
    raise AssertionError("site.yml's stages were decided although mlinfra_gpu_roles says which roles the host got")


def test_site_switches_are_site_yml_own():
    switches = node_conftest.site_switches()
    assert switches == {stage: "mlinfra_gpu_%s | default(%s)" % (stage, "'auto'" if value == "auto" else
                                                                 str(value).lower())
                        for stage, value in SITE_DEFAULTS.items()}


def test_listed_roles_are_the_roles():
    roles, why = node_conftest.applied_roles({"mlinfra_gpu_roles": ["container_runtime"],
                                              "mlinfra_gpu_cuda_toolkit": True}, unused_site_stages)
    assert (roles, why) == ({"container_runtime"}, "mlinfra_gpu_roles")


def test_site_stages_without_a_gpu():
    assert node_conftest.applied_roles({}, stages(NO_GPU)) == (
        {"gpu_node_base", "storage_mounts", "ml_frameworks"}, "playbooks/site.yml's stages, no mlinfra_gpu_roles")


def test_site_stages_where_an_nvidia_gpu_is_seen():
    assert node_conftest.applied_roles({}, stages(H100))[0] == {
        "gpu_node_base", "nvidia_driver", "container_runtime", "storage_mounts", "ml_frameworks"}


def test_site_stages_switches_turn_roles_on_and_off():
    switched = stages(NO_GPU, nvidia_driver="yes", cuda_toolkit=True, container_runtime=False, base=False,
                      storage_mounts="off", ml_frameworks=False, slurm_gpu_node=True)
    assert node_conftest.applied_roles({}, switched)[0] == {"nvidia_driver", "cuda_toolkit", "slurm_gpu_node"}


@pytest.mark.parametrize("listed", ["gpu_node_base", ["gpu_node_base", 3]])
def test_a_list_that_is_no_list_of_names_is_refused(listed):
    with pytest.raises(pytest.UsageError, match="^mlinfra_gpu_roles must be a list of role names"):
        node_conftest.applied_roles({"mlinfra_gpu_roles": listed}, unused_site_stages)


def test_an_unknown_role_is_refused_by_name():
    with pytest.raises(pytest.UsageError) as error:
        node_conftest.applied_roles({"mlinfra_gpu_roles": ["gpu_node_base", "no_such_role"]}, unused_site_stages)
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


def report(nodeid, when, outcome, host="node-a", message=None):
    crash = types.SimpleNamespace(message=message) if message else None
    return types.SimpleNamespace(nodeid=nodeid, when=when, outcome=outcome, passed=outcome == "passed",
                                 skipped=outcome == "skipped", failed=outcome == "failed",
                                 user_properties=[("host", host)] if host else [],
                                 longrepr=types.SimpleNamespace(reprcrash=crash) if crash else None)


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


def test_summary_as_json_per_host():
    summary = node_conftest.Summary()
    for item in [
        report("tests/node/test_a.py::test_one[ansible://node-a]", "call", "failed",
               message="AssertionError: node-a: limits file: missing"),
        report("tests/node/test_a.py::test_two[ansible://node-a]", "setup", "failed"),
        report("tests/node/test_a.py::test_three[ansible://node-a]", "call", "passed"),
        report("tests/node/test_a.py::test_one[ansible://node-b]", "call", "passed", host="node-b"),
        report("tests/node/test_a.py::test_two[ansible://node-b]", "setup", "skipped", host="node-b"),
    ]:
        summary.add(item)
    assert summary.hosts() == {
        "node-a": {"status": "FAIL", "passed": 1, "skipped": 0,
                   "failed": {"test_a.py::test_one": "AssertionError: node-a: limits file: missing",
                              "test_a.py::test_two": ""}},
        "node-b": {"status": "OK", "passed": 1, "skipped": 1, "failed": {}},
    }
