# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""container_runtime decisions (_runtime_plan); engine versions as Debian 12/13 offer them (fixtures/runtime)."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _runtime_plan as rp

DEBIAN12 = {"name": "Debian 12", "packages": {"docker": {"distro": ["docker.io"]}, "containerd": {"distro": ["containerd"]},
                                              "podman": {"distro": ["podman"]}},
            # apt-cache policy on Debian 12 (tests/unit/fixtures/runtime/SOURCES.md)
            "engine_versions": {"docker": {"distro": "20.10.24+dfsg1-1+deb12u1+b6"}, "podman": {"distro": "4.3.1+ds1-8"}},
            "in_container": False, "cgroup2": True}
DEBIAN13 = dict(DEBIAN12, name="Debian 13", engine_versions={"docker": {"distro": "26.1.5+dfsg1-9+deb13u1+b1"}})
H100 = {"count": 1, "devices": [{"vendor": "nvidia", "name": "NVIDIA H100 80GB HBM3"}]}
AMD = {"count": 1, "devices": [{"vendor": "amd", "name": "AMD Instinct MI300X"}]}
TOOLKIT = ["nvidia-container-toolkit", "nvidia-container-toolkit-base", "libnvidia-container-tools",
           "libnvidia-container1"]


def settings(**kw):
    base = {"engine": "docker", "source": "distro", "nvidia": "auto", "engine_version": "", "toolkit_version": "",
            "default_runtime": False}
    base.update(kw)
    return base


def test_docker_on_debian13_with_a_gpu():
    assert rp.choose(settings(), H100, DEBIAN13) == {
        "engine": "docker", "source": "distro", "packages": ["docker.io"], "engine_version": "",
        "package_sets": [{"packages": ["docker.io"], "version": ""}], "replace": [], "repo": None, "nvidia": True,
        "toolkit_packages": TOOLKIT, "toolkit_version": "", "gpus": 1, "cdi_spec": True, "engine_cdi": True,
        "dev_char_fix": True, "service": "docker", "config": "/etc/docker/daemon.json", "config_version": 2}


def test_docker_20_on_debian12_does_not_consume_cdi_but_the_spec_is_made():
    plan = rp.choose(settings(), H100, DEBIAN12)
    assert (plan["cdi_spec"], plan["engine_cdi"]) == (True, False)


def test_auto_without_nvidia_gpus_is_the_engine_alone():
    plan = rp.choose(settings(), AMD, DEBIAN13)
    assert (plan["nvidia"], plan["toolkit_packages"], plan["cdi_spec"], plan["engine_cdi"], plan["dev_char_fix"]) == \
        (False, [], False, False, False)


def test_forced_nvidia_without_gpus_installs_the_toolkit_but_makes_no_spec():
    plan = rp.choose(settings(nvidia=True), {}, DEBIAN13)
    assert (plan["nvidia"], plan["toolkit_packages"], plan["cdi_spec"], plan["engine_cdi"], plan["dev_char_fix"]) == \
        (True, TOOLKIT, False, True, False)


def test_false_turns_nvidia_off_on_a_gpu_host():
    assert rp.choose(settings(nvidia="false"), H100, DEBIAN13)["nvidia"] is False


def test_dev_char_fix_only_outside_containers_on_cgroup2_for_daemons():
    assert rp.choose(settings(), H100, dict(DEBIAN13, in_container=True))["dev_char_fix"] is False
    assert rp.choose(settings(), H100, dict(DEBIAN13, cgroup2=False))["dev_char_fix"] is False
    assert rp.choose(settings(engine="containerd"), H100, DEBIAN13)["dev_char_fix"] is True
    assert rp.choose(settings(engine="podman"), H100, DEBIAN12)["dev_char_fix"] is False


def test_podman_43_consumes_cdi_and_containerd_does_not():
    podman = rp.choose(settings(engine="podman"), H100, DEBIAN12)
    assert (podman["packages"], podman["service"], podman["config"], podman["engine_cdi"]) == \
        (["podman"], None, None, True)
    containerd = rp.choose(settings(engine="containerd"), H100, DEBIAN12)
    assert (containerd["service"], containerd["config"], containerd["engine_cdi"]) == \
        ("containerd", "/etc/containerd/config.toml", False)


def test_pinned_engine_version_decides_cdi():
    assert rp.choose(settings(engine_version="24.0"), H100, DEBIAN13)["engine_cdi"] is False
    assert rp.choose(settings(engine_version="25"), H100, DEBIAN12)["engine_cdi"] is True


@pytest.mark.parametrize("version, expected", [
    ("26.1.5+dfsg1-9+deb13u1+b1", (26, 1, 5)), ("1:20.10.24-1", (20, 10, 24)), ("4.3.1+ds1-8", (4, 3, 1)),
    ("25", (25,)), ("4.0rc1", (4, 0)), ("x", ()), ("5.a", (5,)), ("4.0rc1.5", (4, 0)), ("x.5", ()),
    ("1:20.10:x", (20, 10)),
])
def test_version_tuple(version, expected):
    assert rp.version_tuple(version) == expected


@pytest.mark.parametrize("engine, version, expected", [
    ("docker", "24.9", False), ("docker", "25.0", True), ("podman", "4.0", False), ("podman", "4.1", True),
    ("containerd", "2.0", False), ("docker", "", False),
])
def test_consumes_cdi(engine, version, expected):
    assert rp.consumes_cdi(engine, version) is expected


def test_unknown_engine_is_refused():
    with pytest.raises(rp.PlanError) as err:
        rp.choose(settings(engine="cri-o"), {}, DEBIAN12)
    assert str(err.value) == ("container_runtime: engine 'cri-o' is not one of docker, containerd, podman. "
                              "Nothing was changed.")


def test_engine_not_packaged_from_that_source_names_what_works():
    with pytest.raises(rp.PlanError) as err:
        rp.choose(settings(engine="containerd", source="upstream"), {}, DEBIAN12)
    assert str(err.value) == (
        "container_runtime: engine 'containerd' from source 'upstream' is not packaged on Debian 12; what works there: "
        "docker (source distro), containerd (source distro), podman (source distro). Nothing was changed.")


@pytest.mark.parametrize("name, key", [("container_runtime_engine_version", "engine_version"),
                                       ("container_runtime_toolkit_version", "toolkit_version")])
def test_malformed_version_is_refused(name, key):
    with pytest.raises(rp.PlanError) as err:
        rp.choose(settings(**{key: "latest"}), {}, DEBIAN12)
    assert str(err.value) == (
        "container_runtime: %s 'latest' is not a version: use dotted numbers such as '1.17' or '1.17.8' (a prefix of "
        "the upstream version), or '' for the newest. Nothing was changed." % name)


def test_good_versions_pass():
    plan = rp.choose(settings(engine_version="26.1", toolkit_version="1.17.8"), {}, DEBIAN13)
    assert (plan["engine_version"], plan["toolkit_version"]) == ("26.1", "1.17.8")


def test_bad_nvidia_setting_is_refused():
    with pytest.raises(rp.PlanError) as err:
        rp.choose(settings(nvidia="maybe"), {}, DEBIAN12)
    assert str(err.value) == "container_runtime: container_runtime_nvidia 'maybe' is not one of auto, true, false. " \
        "Nothing was changed."


@pytest.mark.parametrize("value, gpus, expected", [
    ("True", 0, True), ("yes", 0, True), ("1", 0, True), ("no", 1, False), ("0", 1, False), ("auto", 0, False),
])
def test_wants_nvidia_spellings(value, gpus, expected):
    assert rp.wants_nvidia(value, gpus) is expected


def test_default_runtime_for_podman_is_refused_but_fine_without_nvidia():
    with pytest.raises(rp.PlanError) as err:
        rp.choose(settings(engine="podman", default_runtime=True), H100, DEBIAN12)
    assert str(err.value) == ("container_runtime: container_runtime_default_runtime is for docker and containerd; Podman "
                              "takes GPUs through CDI (--device nvidia.com/gpu=all). Nothing was changed.")
    assert rp.choose(settings(engine="podman", default_runtime=True, nvidia=False), H100, DEBIAN12)["nvidia"] is False


@pytest.mark.parametrize("version, expected", [("1.7.24~ds1-6", 2), ("2.0.5", 3), ("2", 3), ("", 2)])
def test_containerd_config_version_follows_the_major(version, expected):
    platform = dict(DEBIAN13, engine_versions={"containerd": {"distro": version}})
    assert rp.choose(settings(engine="containerd"), {}, platform)["config_version"] == expected


def test_docker_2x_is_not_containerd_2():
    assert rp.choose(settings(engine_version="2.1"), {}, DEBIAN13)["config_version"] == 2


def test_default_runtime_for_docker_is_accepted():
    assert rp.choose(settings(default_runtime=True), H100, DEBIAN13)["nvidia"] is True


def test_a_setting_that_sorts_before_auto_is_refused():
    with pytest.raises(rp.PlanError):
        rp.wants_nvidia("abc", 1)


# Docker's own repository (source upstream): packages as https://docs.docker.com/engine/install/debian/ installs them
UPSTREAM = ["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin"]
BOOKWORM = dict(DEBIAN12, os="debian", codename="bookworm",
                packages=dict(DEBIAN12["packages"], docker={"distro": ["docker.io"], "upstream": UPSTREAM}),
                engine_versions={"docker": {"distro": "20.10.24+dfsg1-1+deb12u1+b6", "upstream": "28.5.2"}})
NOBLE = dict(BOOKWORM, name="Ubuntu 24", os="ubuntu", codename="noble")


def test_upstream_docker_on_debian12_adds_dockers_repository_and_consumes_cdi():
    plan = rp.choose(settings(source="upstream"), H100, BOOKWORM)
    assert (plan["packages"], plan["package_sets"], plan["engine_cdi"], plan["service"], plan["repo"]) == (
        UPSTREAM, [{"packages": UPSTREAM, "version": ""}], True, "docker", {
            "uri": "https://download.docker.com/linux/debian", "suites": ["bookworm"], "components": ["stable"],
            "key_url": "https://download.docker.com/linux/debian/gpg",
            "fingerprint": "9DC858229FC7DD38854AE2D88D81803C0EBFCD88",
            "keyring": "/etc/apt/keyrings/mlinfra-docker.asc",
            "source_file": "/etc/apt/sources.list.d/mlinfra-docker.sources"})


def test_upstream_mirror_key_and_fingerprint_override():
    repo = rp.choose(settings(source="upstream", docker_repo_url="http://mirror.example/docker/linux/",
                              docker_repo_key_url="http://mirror.example/docker.asc",
                              docker_repo_key_fingerprint="0123456789ABCDEF0123456789ABCDEF01234567"), {}, NOBLE)["repo"]
    assert (repo["uri"], repo["suites"], repo["key_url"], repo["fingerprint"]) == (
        "http://mirror.example/docker/linux/ubuntu", ["noble"], "http://mirror.example/docker.asc",
        "0123456789ABCDEF0123456789ABCDEF01234567")


def test_upstream_engine_version_pins_engine_and_cli_containerd_io_its_own_plugins_newest():
    plan = rp.choose(settings(source="upstream", engine_version="27.5", containerd_io_version="1.7"), {}, BOOKWORM)
    assert plan["package_sets"] == [{"packages": ["docker-ce", "docker-ce-cli"], "version": "27.5"},
                                    {"packages": ["containerd.io"], "version": "1.7"},
                                    {"packages": ["docker-buildx-plugin", "docker-compose-plugin"], "version": ""}]


def test_upstream_pins_without_containerd_io_version_group_it_with_the_plugins():
    plan = rp.choose(settings(source="upstream", engine_version="27.5"), {}, BOOKWORM)
    assert plan["package_sets"] == [{"packages": ["docker-ce", "docker-ce-cli"], "version": "27.5"},
                                    {"packages": ["containerd.io", "docker-buildx-plugin", "docker-compose-plugin"],
                                     "version": ""}]


def test_pinned_upstream_24_does_not_consume_cdi():
    assert rp.choose(settings(source="upstream", engine_version="24.0"), H100, BOOKWORM)["engine_cdi"] is False


def test_malformed_containerd_io_version_is_refused():
    with pytest.raises(rp.PlanError) as err:
        rp.choose(settings(source="upstream", containerd_io_version="1.7-x"), {}, BOOKWORM)
    assert str(err.value).startswith("container_runtime: container_runtime_containerd_io_version '1.7-x' is not a ")


def test_upstream_on_a_node_with_debians_docker_is_refused_unless_told():
    with pytest.raises(rp.PlanError) as err:
        rp.choose(settings(source="upstream", installed=["containerd", "docker.io", "runc"]), {}, BOOKWORM)
    assert str(err.value) == (
        "container_runtime: docker.io from source 'distro' is installed; source 'upstream' would replace it with "
        "docker-ce, docker-ce-cli, containerd.io, docker-buildx-plugin, docker-compose-plugin. Set "
        "container_runtime_replace_engine: true to replace it (its packages are removed, not purged: configuration, "
        "images and volumes stay), or set container_runtime_source: distro. Nothing was changed.")


def test_distro_on_a_node_with_docker_ce_is_refused_unless_told():
    with pytest.raises(rp.PlanError) as err:
        rp.choose(settings(installed=["docker-ce", "docker-ce-cli", "containerd.io"]), {}, BOOKWORM)
    assert str(err.value).startswith("container_runtime: docker-ce, docker-ce-cli, containerd.io from source "
                                     "'upstream' is installed; source 'distro' would replace it with docker.io. ")


def test_replacing_when_told_lists_what_goes():
    plan = rp.choose(settings(source="upstream", installed=["docker.io"], replace_engine=True), {}, BOOKWORM)
    assert plan["replace"] == ["docker.io"]


def test_the_same_source_installed_is_no_switch():
    plan = rp.choose(settings(source="upstream", installed=["docker-ce", "docker-ce-cli"]), {}, BOOKWORM)
    assert plan["replace"] == []


def test_other_engines_are_no_switch():
    plan = rp.choose(settings(engine="containerd", installed=["docker-ce"]), {}, BOOKWORM)
    assert (plan["replace"], plan["repo"], plan["package_sets"]) == (
        [], None, [{"packages": ["containerd"], "version": ""}])


def test_distro_engine_version_pins_every_package_of_the_engine():
    platform = dict(DEBIAN13, packages=dict(DEBIAN13["packages"], docker={"distro": ["docker.io", "docker-cli"]}))
    assert rp.choose(settings(engine_version="26.1"), {}, platform)["package_sets"] == [
        {"packages": ["docker.io", "docker-cli"], "version": "26.1"}]


def test_only_containerd_io_pinned_leaves_the_engine_newest_in_its_own_set():
    plan = rp.choose(settings(source="upstream", containerd_io_version="1.7"), {}, BOOKWORM)
    assert plan["package_sets"] == [{"packages": ["docker-ce", "docker-ce-cli", "docker-buildx-plugin",
                                                  "docker-compose-plugin"], "version": ""},
                                    {"packages": ["containerd.io"], "version": "1.7"}]
