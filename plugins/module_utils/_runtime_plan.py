# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What mlinfra.gpu.container_runtime does on a host (private to the collection): pure functions behind
mlinfra.gpu.container_runtime_plan.

From the settings, the GPU facts and the platform's values (roles/container_runtime/vars): which packages, whether
the NVIDIA runtime and a CDI spec are wanted, whether the engine consumes CDI, whether the /dev/char fix applies, and
the refusals (an engine not packaged here, a malformed version, a switch between Debian's Docker and Docker's own
repository on a node that has the other one), each naming the value and what would work. Source ``upstream`` (Docker's
repository) also gives the repository to add and the package sets, each pinned at its own version.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.mlinfra.gpu.plugins.module_utils._driver_plan import nvidia_devices

ENGINES = ("docker", "containerd", "podman")
TOOLKIT = ["nvidia-container-toolkit", "nvidia-container-toolkit-base", "libnvidia-container-tools",
           "libnvidia-container1"]
SERVICES = {"docker": "docker", "containerd": "containerd", "podman": None}
CONFIG = {"docker": "/etc/docker/daemon.json", "containerd": "/etc/containerd/config.toml", "podman": None}
# first versions that consume CDI: Docker 25 (features.cdi), Podman 4.1; containerd only through its CRI plugin
CDI_FROM = {"docker": (25,), "podman": (4, 1)}
_VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*$")
NOTHING = "Nothing was changed."
# Docker's own repository (https://docs.docker.com/engine/install/debian/): <base>/<debian|ubuntu> <codename> stable,
# signed by "Docker Release (CE deb)", 9DC8 5822 9FC7 DD38 854A E2D8 8D81 803C 0EBF CD88
DOCKER_REPO = "https://download.docker.com/linux"
DOCKER_FINGERPRINT = "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"
DOCKER_KEYRING = "/etc/apt/keyrings/mlinfra-docker.asc"
DOCKER_SOURCE_FILE = "/etc/apt/sources.list.d/mlinfra-docker.sources"
# packages of Docker's repository that do not follow the engine's version: the setting that pins them (None: newest)
OWN_VERSION = {"containerd.io": "containerd_io_version", "docker-buildx-plugin": None, "docker-compose-plugin": None}


class PlanError(Exception):
    """A request the role refuses; str() is the whole message."""


def version_tuple(text):
    """'26.1.5+dfsg1-9' / '26.1' -> (26, 1, 5) / (26, 1): the leading dotted numbers of the upstream version."""
    upstream = str(text).split(":", 1)[-1]
    numbers = []
    for part in upstream.split("."):
        digits = ""
        for char in part:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        numbers.append(int(digits))
        if digits != part:
            break
    return tuple(numbers)


def check_version(name, value):
    """'' or a dotted numeric version prefix ('26.1', '1.17.8'); PlanError naming the variable otherwise."""
    value = str(value or "")
    if value and not _VERSION.match(value):
        raise PlanError("container_runtime: %s '%s' is not a version: use dotted numbers such as '1.17' or '1.17.8' "
                        "(a prefix of the upstream version), or '' for the newest. %s" % (name, value, NOTHING))
    return value


def wants_nvidia(setting, gpus):
    """container_runtime_nvidia (auto/true/false) with the number of NVIDIA GPUs seen."""
    setting = str(setting).lower()
    if setting in ("true", "yes", "1"):
        return True
    if setting in ("false", "no", "0"):
        return False
    if setting == "auto":
        return gpus > 0
    raise PlanError("container_runtime: container_runtime_nvidia '%s' is not one of auto, true, false. %s"
                    % (setting, NOTHING))


def consumes_cdi(engine, version):
    """Whether that engine at that version (text; '' unknown) consumes CDI specs."""
    first = CDI_FROM.get(engine)
    numbers = version_tuple(version) if version else ()
    return bool(first and numbers and numbers >= first)


def engine_packages(engine, source, platform):
    """Package names of engine from source on the platform; PlanError naming what works there."""
    if engine not in ENGINES:
        raise PlanError("container_runtime: engine '%s' is not one of %s. %s" % (engine, ", ".join(ENGINES), NOTHING))
    offered = platform["packages"].get(engine, {})
    if source not in offered:
        works = ["%s (source %s)" % (name, src) for name in ENGINES
                 for src in sorted(platform["packages"].get(name, {}))]
        raise PlanError("container_runtime: engine '%s' from source '%s' is not packaged on %s; what works there: %s. %s"
                        % (engine, source, platform["name"], ", ".join(works), NOTHING))
    return list(offered[source])


def package_sets(packages, versions):
    """packages grouped by the version they are pinned at, in order: [{packages, version}]. versions: setting ->
    version prefix ('' newest); a package follows engine_version unless OWN_VERSION names its own setting."""
    sets = []
    for name in packages:
        key = OWN_VERSION[name] if name in OWN_VERSION else "engine_version"
        version = versions.get(key, "") if key else ""
        same = [one for one in sets if one["version"] == version]
        if same:
            same[0]["packages"].append(name)
        else:
            sets.append({"packages": [name], "version": version})
    return sets


def docker_repo(settings, platform):
    """Docker's repository for the platform (os: debian/ubuntu, codename), or the mirror under docker_repo_url."""
    uri = "%s/%s" % ((settings.get("docker_repo_url") or DOCKER_REPO).rstrip("/"), platform["os"])
    return {"uri": uri, "suites": [platform["codename"]], "components": ["stable"],
            "key_url": settings.get("docker_repo_key_url") or uri + "/gpg",
            "fingerprint": settings.get("docker_repo_key_fingerprint") or DOCKER_FINGERPRINT,
            "keyring": DOCKER_KEYRING, "source_file": DOCKER_SOURCE_FILE}


def other_engine(engine, source, platform, installed, replace):
    """Installed packages of the same engine from the other source (which this run replaces); PlanError unless the
    user said to replace them."""
    offered = platform["packages"].get(engine, {})
    other = [src for src in sorted(offered) if src != source]
    found = [name for src in other for name in offered[src] if name in installed]
    if found and not replace:
        raise PlanError(
            "container_runtime: %s from source '%s' is installed; source '%s' would replace it with %s. Set "
            "container_runtime_replace_engine: true to replace it (its packages are removed, not purged: "
            "configuration, images and volumes stay), or set container_runtime_source: %s. %s"
            % (", ".join(found), other[0], source, ", ".join(offered[source]), other[0], NOTHING))
    return found


def choose(settings, gpu_facts, platform):
    """The plan (dict) for settings (engine, source, nvidia, engine_version, containerd_io_version, toolkit_version,
    default_runtime, installed: names of the installed packages, replace_engine, docker_repo_url,
    docker_repo_key_url, docker_repo_key_fingerprint), gpu_facts (ansible_facts.gpu layout) and platform (name, os,
    codename, packages {engine: {source: [names]}}, engine_versions {engine: {source: version the source offers}},
    in_container, cgroup2)."""
    engine, source = settings["engine"], settings["source"]
    packages = engine_packages(engine, source, platform)
    engine_version = check_version("container_runtime_engine_version", settings.get("engine_version"))
    toolkit_version = check_version("container_runtime_toolkit_version", settings.get("toolkit_version"))
    versions = {"engine_version": engine_version, "containerd_io_version": check_version(
        "container_runtime_containerd_io_version", settings.get("containerd_io_version"))}
    replace = other_engine(engine, source, platform, settings.get("installed") or [], settings.get("replace_engine"))
    gpus = len(nvidia_devices(gpu_facts))
    nvidia = wants_nvidia(settings.get("nvidia", "auto"), gpus)
    known = engine_version or platform.get("engine_versions", {}).get(engine, {}).get(source, "")
    cdi = consumes_cdi(engine, known)
    if nvidia and settings.get("default_runtime") and engine == "podman":
        raise PlanError("container_runtime: container_runtime_default_runtime is for docker and containerd; Podman "
                        "takes GPUs through CDI (--device nvidia.com/gpu=all). %s" % NOTHING)
    return {
        "engine": engine, "source": source, "packages": packages, "engine_version": engine_version,
        "package_sets": package_sets(packages, versions), "replace": replace,
        "repo": docker_repo(settings, platform) if source == "upstream" else None,
        "nvidia": nvidia, "toolkit_packages": list(TOOLKIT) if nvidia else [], "toolkit_version": toolkit_version,
        "gpus": gpus, "cdi_spec": nvidia and gpus > 0, "engine_cdi": nvidia and cdi,
        "dev_char_fix": nvidia and gpus > 0 and engine != "podman" and bool(platform.get("cgroup2"))
        and not platform.get("in_container"),
        "service": SERVICES[engine], "config": CONFIG[engine],
        # configuration version of a config.toml the role creates: 3 for containerd 2.x, 2 for 1.x
        "config_version": 3 if engine == "containerd" and version_tuple(known) >= (2,) else 2,
    }
