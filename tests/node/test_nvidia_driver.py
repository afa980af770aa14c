"""mlinfra.gpu.nvidia_driver: packages at the branch and held, the branch pin, nouveau blacklisted, the module
loaded where GPUs are, nvidia-persistenced, fabric manager on NVSwitch hosts.

What the host should have is decided by the role's own decision function (_driver_plan.choose), from the role's
variables, the platform's values (roles/nvidia_driver/vars) and the GPU facts the role used.
"""

import fnmatch

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _apt_state
from ansible_collections.mlinfra.gpu.plugins.module_utils import _driver_plan

ROLE = "nvidia_driver"


@pytest.fixture(scope="module")
def plan(node, role_vars):
    """The role's plan for this host (branch, kernel module flavour, packages, fabric manager, GPUs)."""
    facts = node.facts
    platform = {
        "name": "%s %s" % (facts["distribution"], facts["distribution_major_version"]),
        "distro_branch": role_vars.get("nvidia_driver__distro_branch", ""),
        "distro_any_branch": role_vars.get("nvidia_driver__distro_any_branch", False),
        "distro_modules": role_vars.get("nvidia_driver__distro_modules", []),
        "distro_modules_note": role_vars.get("nvidia_driver__distro_modules_note", ""),
        "packages": role_vars["nvidia_driver__packages"],
    }
    settings = {
        "source": role_vars["nvidia_driver_source"], "branch": str(role_vars["nvidia_driver_branch"]),
        "kernel_module": role_vars["nvidia_driver_kernel_module"],
        "fabricmanager": str(role_vars["nvidia_driver_fabricmanager"]), "headless": role_vars["nvidia_driver_headless"],
    }
    return _driver_plan.choose(settings, node.gpu_facts(role_vars["nvidia_driver_gpu_facts"]), platform)


def test_packages_at_branch(node, plan):
    versions = {name: node.host.package(name) for name in plan["packages"]}
    wrong = {name: (package.version if package.is_installed else None) for name, package in versions.items()
             if not (package.is_installed and _apt_state.in_branch(package.version, plan["branch"]))}
    node.check(wrong == {}, "driver packages at branch %s" % plan["branch"],
               "not installed (None) or at another branch: %s" % wrong)


def test_other_flavour_absent(node, role_vars, plan):
    other = "proprietary" if plan["kernel_module"] == "open" else "open"
    names = [name.format(branch=plan["branch"], open="-open" if other == "open" else "")
             for name in role_vars["nvidia_driver__packages"][plan["source"]][other]]
    present = [name for name in names if name not in plan["packages"] and node.host.package(name).is_installed]
    node.check(present == [], "kernel module flavour %s" % plan["kernel_module"],
               "the %s flavour is installed too: %s" % (other, ", ".join(present)))


def test_headless(node, role_vars, plan):
    if not role_vars["nvidia_driver_headless"]:
        pytest.skip("%s: nvidia_driver_headless is false (the full driver is wanted)" % node.name)
    full = [name.format(branch=plan["branch"], open="-open" if plan["kernel_module"] == "open" else "")
            for name in role_vars["nvidia_driver__packages"][plan["source"]]["full"]]
    present = [name for name in full if node.host.package(name).is_installed]
    node.check(present == [], "headless driver", "the full (X11) driver is installed: %s" % ", ".join(present))


def held_packages(node):
    """Names of the held (apt) or version-locked (dnf) packages."""
    if node.facts["pkg_mgr"] == "apt":
        return node.run("apt-mark", "showhold").stdout.split()
    locked = node.run("dnf", "-q", "versionlock", "list").stdout.split()
    return [entry.rsplit("-", 2)[0] for entry in locked if entry.count("-") >= 2]


def test_packages_held(node, role_vars, plan):
    if not role_vars["nvidia_driver_hold"]:
        pytest.skip("%s: nvidia_driver_hold is false" % node.name)
    held = sorted(name for name in held_packages(node)
                  if any(fnmatch.fnmatch(name, pattern) for pattern in plan["managed"]))
    node.check(held == sorted(plan["packages"]), "driver packages held",
               "held: %s, expected exactly %s" % (held, sorted(plan["packages"])))


def test_branch_pinned(node, role_vars, plan):
    if node.facts["pkg_mgr"] != "apt":
        pytest.skip("%s: the branch is a dnf module stream here, not an apt pin" % node.name)
    pin = node.host.file(role_vars["nvidia_driver__apt_pin_file"])
    stanzas = [dict(line.split(": ", 1) for line in stanza.splitlines() if line and not line.startswith("#"))
               for stanza in (pin.content_string if pin.exists else "").split("\n\n")]
    patterns = " ".join(role_vars["nvidia_driver__pin_patterns"])
    other_origin = role_vars["nvidia_driver__nvidia_origin"] if plan["source"] == "distro" else node.facts["distribution"]
    wanted = [
        {"Package": patterns, "Pin": "release o=%s" % other_origin, "Pin-Priority": "-1"},
        {"Package": patterns, "Pin": "version %s.*" % plan["branch"], "Pin-Priority": "1001"},
    ]
    node.check(stanzas == wanted, "branch pin %s" % pin.path, "has %s, expected %s" % (stanzas, wanted))


def test_nouveau_blacklisted(node, role_vars):
    if not role_vars["nvidia_driver_blacklist_nouveau"]:
        pytest.skip("%s: nvidia_driver_blacklist_nouveau is false" % node.name)
    config = node.run("modprobe", "--showconfig").stdout.splitlines()
    found = [line for line in ("blacklist nouveau", "options nouveau modeset=0") if line in config]
    node.check(found == ["blacklist nouveau", "options nouveau modeset=0"], "nouveau blacklisted",
               "modprobe's configuration has only %s" % found)


def test_nouveau_not_loaded(node, role_vars):
    node.skip_in_container("nouveau not loaded")
    if not role_vars["nvidia_driver_blacklist_nouveau"]:
        pytest.skip("%s: nvidia_driver_blacklist_nouveau is false" % node.name)
    node.check(not node.host.file("/sys/module/nouveau").exists, "nouveau not loaded", "/sys/module/nouveau exists")


def test_module_loaded(node, plan):
    node.skip_in_container("the NVIDIA module loaded")
    if plan["gpus"] == 0:
        pytest.skip("%s: no NVIDIA GPU in the GPU facts" % node.name)
    loaded = node.host.file("/sys/module/nvidia/version")
    installed = _apt_state.upstream(node.host.package(plan["packages"][0]).version)
    node.check((loaded.content_string.strip() if loaded.exists else None) == installed, "NVIDIA module loaded",
               "/sys/module/nvidia/version is %s, the installed driver %s (reboot pending?)"
               % (loaded.content_string.strip() if loaded.exists else "absent", installed))


def why_not(role_vars, plan, service):
    """(why the service is not enabled, why it is not started) on this host; None where it is."""
    if service == "nvidia-persistenced":
        if not role_vars["nvidia_driver_persistenced"]:
            return "nvidia_driver_persistenced is false", None
        return None, ("no NVIDIA GPU in the GPU facts" if plan["gpus"] == 0 else None)
    if not plan["fabricmanager"]:
        return "no fabric manager for this host (no NVSwitch in the GPU facts, or turned off)", None
    return None, ("no NVSwitch in the GPU facts (installed, not started)" if plan["nvswitches"] == 0 else None)


@pytest.fixture(params=["nvidia-persistenced", "nvidia-fabricmanager"])
def service(request, node, role_vars, plan):
    """A service of the driver with the reason it is not started here (None: it must run), skipped where the role
    does not enable it."""
    not_enabled, not_started = why_not(role_vars, plan, request.param)
    if not_enabled:
        pytest.skip("%s: %s" % (node.name, not_enabled))
    return node.host.service(request.param), not_started


def test_service_enabled(node, service):
    unit = service[0]
    node.check(unit.is_enabled, unit.name, "not enabled")


def test_service_running(node, service):
    unit, not_started = service
    node.skip_in_container("%s running" % unit.name)
    if not_started:
        pytest.skip("%s: %s" % (node.name, not_started))
    node.check(unit.is_running, unit.name, "not running")
