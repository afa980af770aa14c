"""mlinfra.gpu.container_runtime: the engine and the NVIDIA Container Toolkit (at their pinned versions, held), the
engine running with the NVIDIA runtime merged into its configuration, the CDI spec and the /dev/char fix.

What the host should have is decided by the role's own decision function (_runtime_plan.choose); the daemon.json
check asks the role's merge function (_runtime_config) whether the role would change the file.
"""

import pytest
import yaml

from ansible_collections.mlinfra.gpu.plugins.module_utils import _apt_state
from ansible_collections.mlinfra.gpu.plugins.module_utils import _runtime_config
from ansible_collections.mlinfra.gpu.plugins.module_utils import _runtime_plan

ROLE = "container_runtime"


@pytest.fixture(scope="module")
def plan(node, role_vars):
    release = "%s_%s" % (node.facts["distribution"], node.facts["distribution_major_version"])
    settings = {
        "engine": role_vars["container_runtime_engine"], "source": role_vars["container_runtime_source"],
        "nvidia": str(role_vars["container_runtime_nvidia"]),
        "engine_version": str(role_vars["container_runtime_engine_version"]),
        "toolkit_version": str(role_vars["container_runtime_toolkit_version"]),
        "default_runtime": role_vars["container_runtime_default_runtime"],
    }
    platform = {
        "name": "%s %s" % (node.facts["distribution"], node.facts["distribution_major_version"]),
        "packages": role_vars["container_runtime__packages"][release],
        "engine_versions": role_vars["container_runtime__engine_versions"][release],
        "in_container": node.in_container,
        "cgroup2": node.host.file("/sys/fs/cgroup/cgroup.controllers").exists,
    }
    return _runtime_plan.choose(settings, node.gpu_facts(role_vars["container_runtime_gpu_facts"]), platform)


def check_packages(node, what, names, version):
    """names installed (at version, a prefix of the upstream version, when given) and held when pinned."""
    wrong = {}
    for name in names:
        package = node.host.package(name)
        if not (package.is_installed and (not version or _apt_state.in_branch(package.version, version))):
            wrong[name] = package.version if package.is_installed else None
    node.check(wrong == {}, what, "not installed (None) or not at %s: %s" % (version or "any version", wrong))
    if version:
        held = set(node.run("apt-mark", "showhold").stdout.split())
        unheld = sorted(set(names) - held)
        node.check(unheld == [], what, "pinned at %s but not held: %s" % (version, ", ".join(unheld)))


def test_engine_packages(node, plan):
    check_packages(node, "engine %s" % plan["engine"], plan["packages"], plan["engine_version"])


def test_toolkit_packages(node, plan):
    if not plan["nvidia"]:
        pytest.skip("%s: no NVIDIA runtime wanted (no NVIDIA GPU seen, or container_runtime_nvidia false)" % node.name)
    check_packages(node, "NVIDIA Container Toolkit", plan["toolkit_packages"], plan["toolkit_version"])


def test_engine_running(node, plan):
    if plan["service"] is None:
        pytest.skip("%s: %s runs without a daemon" % (node.name, plan["engine"]))
    service = node.host.service(plan["service"])
    node.check((service.is_enabled, service.is_running) == (True, True), "engine service %s" % plan["service"],
               "enabled %s, running %s" % (service.is_enabled, service.is_running))


def test_docker_configuration_merged(node, role_vars, plan):
    if plan["engine"] != "docker":
        pytest.skip("%s: engine %s has no daemon.json" % (node.name, plan["engine"]))
    overlay = _runtime_config.docker_overlay(plan["nvidia"], role_vars["container_runtime_default_runtime"],
                                             plan["engine_cdi"], role_vars["container_runtime_docker_daemon_options"])
    current = node.host.file(plan["config"])
    merged = _runtime_config.merge_daemon_json(current.content_string if current.exists else None, plan["config"],
                                               overlay)
    node.check(merged is None, "docker configuration %s" % plan["config"],
               "lacks what the role merges in (role_vars, CDI, container_runtime_docker_daemon_options): it would be %s"
               % merged)


def test_docker_has_nvidia_runtime(node, plan):
    if plan["engine"] != "docker" or not plan["nvidia"]:
        pytest.skip("%s: engine %s, NVIDIA runtime %s" % (node.name, plan["engine"], plan["nvidia"]))
    runtimes = node.run("docker", "info", "--format", "{{json .Runtimes}}").stdout
    node.check("nvidia" in yaml.safe_load(runtimes or "{}"), "docker runtimes", "docker info lists %s" % runtimes)


@pytest.fixture()
def cdi(node, plan):
    if not plan["cdi_spec"]:
        pytest.skip("%s: no CDI spec wanted (no NVIDIA GPU in the GPU facts, or no NVIDIA role_vars)" % node.name)
    return plan


def test_cdi_spec(node, role_vars, cdi):
    spec = node.host.file(role_vars["container_runtime_cdi_spec"])
    kind = (yaml.safe_load(spec.content_string) or {}).get("kind") if spec.exists else None
    node.check(kind == "nvidia.com/gpu", "CDI spec %s" % spec.path, "kind is %s" % kind)


def test_cdi_spec_regenerated_at_boot(node, cdi):
    unit = node.host.service("mlinfra-nvidia-cdi.service")
    node.check(unit.is_enabled, "CDI spec at boot", "mlinfra-nvidia-cdi.service is not enabled")


def test_dev_char_rule(node, role_vars, plan):
    if not plan["dev_char_fix"]:
        pytest.skip("%s: the /dev/char fix does not apply (no GPU, podman, cgroup v1 or a container)" % node.name)
    rule = node.host.file(role_vars["container_runtime__udev_rule"])
    node.check(rule.exists and "create-dev-char-symlinks" in rule.content_string, "/dev/char udev rule",
               "%s is missing or does not create the links" % rule.path)
